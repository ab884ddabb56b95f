using Microsoft.Data.Analysis;
using SteerMoE.Research.Detection.Tests.Frames;
using SteerMoE.Research.Frames;
using SteerMoE.Research.Plots.Figures;
using SteerMoE.Research.Registry;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>
/// A real number-of-experts sweep on the embedded default model (digits vs words; the demo's data): activation and
/// deactivation swept separately (1, 2 experts), ranked by rd and log-or, authors' plans and random controls, two seeds.
/// Run once for the tests of this class.
/// </summary>
public sealed class SweepRun
{
    public SweepRun()
    {
        string dir = RepoPaths.TempDir("frames-sweep");
        string spec = Path.Combine(dir, "sweep.yaml");
        File.WriteAllText(spec, $"""
            name: sweep
            model: {RepoPaths.Get("models", "default")}
            pairs: {RepoPaths.Get("tools", "default-model", "data", "counting.pairs.jsonl")}
            evaluation: {RepoPaths.Get("tools", "default-model", "data", "counting.eval.jsonl")}
            metrics: [rd, log-or]
            strategies: [authors, random]
            evaluators: [digits-rate]
            seeds: [0, 1]
            max_new_tokens: 6
            grid:
              - {"{"} activate: [0], deactivate: [1, 2] {"}"}
              - {"{"} activate: [1, 2], deactivate: [0] {"}"}
            """);
        var context = new SteerMoEContext(0);
        Directory = Path.Combine(dir, "run");
        Cells = context.Experiments.RunSteering(context.Experiments.LoadSpec(spec), Directory);
    }

    public string Directory { get; }
    public IReadOnlyList<CellRecord> Cells { get; }
    public string Results => Path.Combine(Directory, "results.csv");
}

public class ExperimentFrameTests(SweepRun run) : IClassFixture<SweepRun>
{
    private const string Score = "digits-rate.rate";

    [Fact]
    public void ResultsFrameEqualsTheCsvAndTheRegistrysCells()
    {
        Assert.Equal(2 * (1 + 2 * 2 * 4), run.Cells.Count);
        var loaded = ResultsFrame.Load(run.Results);
        var built = run.Cells.ToDataFrame();
        FrameAssert.Equal(built, loaded);
        Assert.Equal(["key", "metric", "strategy", "activate", "deactivate", "reverse", "strength", "seed", "status"], loaded.Columns.Take(9).Select(c => c.Name));
        Assert.Equal([typeof(string), typeof(string), typeof(string), typeof(int), typeof(int), typeof(bool), typeof(double), typeof(int), typeof(string)],
            loaded.Columns.Take(9).Select(c => c.DataType));
        Assert.Contains(Score, ResultsFrame.MetricColumns(loaded));
        for (int r = 0; r < run.Cells.Count; r++)
        {
            var cell = run.Cells[r];
            Assert.Equal(cell.Key, (string)loaded.Columns["key"][r]);
            Assert.Equal((cell.Cell.Activate, cell.Cell.Deactivate, cell.Cell.Seed), ((int)loaded.Columns["activate"][r], (int)loaded.Columns["deactivate"][r], (int)loaded.Columns["seed"][r]));
            Assert.Equal("done", (string)loaded.Columns["status"][r]);
            Assert.Equal(cell.Metrics[Score], (double)loaded.Columns[Score][r]);
            // A metric the cell lacks is null (results.csv: empty): the baseline has no McNemar test against itself.
            if (cell.Cell.IsBaseline) Assert.Null(loaded.Columns["digits-rate.mcnemar_p"][r]);
            else Assert.Equal(cell.Metrics["digits-rate.mcnemar_p"], (double)loaded.Columns["digits-rate.mcnemar_p"][r]);
        }
    }

    [Fact]
    public void SweepGroupedByMetricAndNEqualsTheAblationFiguresSummary()
    {
        var results = ResultsFrame.Load(run.Results);
        var sweep = ExpertSweep.Summarise(results, Score);
        Assert.Equal(["metric", "strategy", "reverse", "strength", "direction", "steered_experts", "seeds", "mean", "low", "high"], sweep.Columns.Select(c => c.Name));
        // 2 metrics x 2 strategies x 2 directions x N in {1, 2}.
        Assert.Equal(16, sweep.Rows.Count);
        int compared = 0;
        foreach (string metric in new[] { "log-or", "rd" })
            foreach (string strategy in new[] { "authors", "random" })
            {
                var records = ExpertSweep.Records(results, Score, null, metric, strategy);
                Assert.Equal(8, records.Count);
                foreach (string direction in new[] { "activate", "deactivate" })
                {
                    var points = AblationCurves.Summarise(records.Where(r => r.Direction == direction), r => r.Metric);
                    foreach (var p in points)
                    {
                        long row = Enumerable.Range(0, (int)sweep.Rows.Count).Single(r => (string)sweep.Columns["metric"][r] == metric
                            && (string)sweep.Columns["strategy"][r] == strategy && (string)sweep.Columns["direction"][r] == direction && (int)sweep.Columns["steered_experts"][r] == p.X);
                        Assert.Equal((p.Seeds, p.Mean, p.Low, p.High),
                            ((int)sweep.Columns["seeds"][row], (double)sweep.Columns["mean"][row], (double)sweep.Columns["low"][row], (double)sweep.Columns["high"][row]));
                        // By hand from the registry's cells: the two seeds' rates of this (metric, strategy, direction, N).
                        var rates = run.Cells.Where(c => c.Cell.Metric == metric && c.Cell.Strategy == strategy && c.Cell.Activate + c.Cell.Deactivate == p.X
                            && (direction == "activate" ? c.Cell.Deactivate == 0 : c.Cell.Activate == 0)).Select(c => c.Metrics[Score]).ToArray();
                        Assert.Equal(2, rates.Length);
                        Assert.Equal((rates[0] + rates[1]) / 2, (double)sweep.Columns["mean"][row]);
                        Assert.Equal(rates.Min(), (double)sweep.Columns["low"][row]);
                        Assert.Equal(rates.Max(), (double)sweep.Columns["high"][row]);
                        compared++;
                    }
                }
            }
        Assert.Equal(16, compared);
        // Sorted by metric, strategy, ..., direction, N.
        Assert.Equal(["log-or", "log-or", "log-or", "log-or"], sweep.Columns["metric"].Cast<string>().Take(4));
        Assert.Equal([1, 2, 1, 2], sweep.Columns["steered_experts"].Cast<int?>().Take(4).Select(v => v!.Value));
        // The authors' plans use one ranking whatever the seed (greedy generation): their two seeds agree exactly.
        var authors = sweep.Filter(sweep.Columns["strategy"].ElementwiseEquals("authors"));
        Assert.Equal(FrameAssert.Doubles(authors, "low"), FrameAssert.Doubles(authors, "high"));
    }

    [Fact]
    public void AblationRecordsFromTheFrameDrawTheFigure()
    {
        var results = ResultsFrame.Load(run.Results);
        var records = ExpertSweep.Records(results, Score, "kl_mean", "rd", "random");
        var frame = records.ToDataFrame();
        Assert.Equal(["direction", "steered_experts", "seed", "metric", "fluency"], frame.Columns.Select(c => c.Name));
        for (int r = 0; r < records.Count; r++)
        {
            Assert.Equal(records[r].Direction, (string)frame.Columns["direction"][r]);
            Assert.Equal(records[r].Metric, (double)frame.Columns["metric"][r]);
            Assert.Equal(records[r].Fluency, (double)frame.Columns["fluency"][r]);
            var cell = run.Cells.Single(c => c.Cell.Metric == "rd" && c.Cell.Strategy == "random" && c.Cell.Seed == records[r].Seed
                && c.Cell.Activate + c.Cell.Deactivate == records[r].SteeredExperts && ExpertSweep.Direction(c.Cell.Activate, c.Cell.Deactivate) == records[r].Direction);
            Assert.Equal(cell.Metrics["kl_mean"], records[r].Fluency);
        }
        var figure = AblationCurves.Create(records, [], "digits rate", "KL");
        var sweep = ExpertSweep.Summarise(results, "kl_mean");
        var curve = figure.Curves.Single(c => c.Direction == "deactivate" && c.Measure == "KL");
        var rows = sweep.Filter(sweep.Columns["metric"].ElementwiseEquals("rd"));
        rows = rows.Filter(rows.Columns["strategy"].ElementwiseEquals("random"));
        rows = rows.Filter(rows.Columns["direction"].ElementwiseEquals("deactivate"));
        Assert.Equal(FrameAssert.Doubles(rows, "mean"), curve.Points.Select(p => p.Mean));
    }

    private static string Write(string text)
    {
        string path = Path.Combine(RepoPaths.TempDir("results-bad"), "results.csv");
        File.WriteAllText(path, text);
        return path;
    }

    private const string Header = "key,metric,strategy,activate,deactivate,reverse,strength,seed,status,digits-rate.rate\n";

    [Theory]
    [InlineData("key,metric,strategy,activate,deactivate,reverse,strength,status\nk,rd,authors,1,0,false,1,done\n", "missing column 'seed'", "results.csv (docs/CONTRACTS.md §13) has the columns key,metric")]
    [InlineData(Header + "k,rd,authors,1,0,maybe,1,0,done,0.5\n", "line 2, column 'reverse': 'maybe'", "expects true or false")]
    [InlineData(Header + "k,rd,authors,one,0,false,1,0,done,0.5\n", "line 2, column 'activate': 'one' is not an integer", "expects an integer")]
    [InlineData(Header + "k,rd,authors,1,0,false,1,0,done,0.5\nk2,rd,authors,2,0,false,1,0,done,half\n", "line 3, column 'digits-rate.rate': 'half' is not a number", "expects a number")]
    public void BadResultsFilesFailNamingTheFileAndColumn(string text, string expected, string contract)
    {
        string path = Write(text);
        var e = Assert.Throws<FormatException>(() => ResultsFrame.Load(path));
        Assert.StartsWith(path + ":", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains(contract, e.Message);
    }

    [Fact]
    public void ASweepOfAMissingScoreNamesTheMetricsThereAre()
    {
        var e = Assert.Throws<ArgumentException>(() => ExpertSweep.Summarise(ResultsFrame.Load(run.Results), "faithfulness.rate"));
        Assert.Contains("no metric column 'faithfulness.rate'", e.Message);
        Assert.Contains(Score, e.Message);
    }
}

/// <summary>The sweep on a hand-written results.csv: which cells count, and the numbers by hand.</summary>
public class ExpertSweepTests
{
    private const string Header = "key,metric,strategy,activate,deactivate,reverse,strength,seed,status,s.rate\n";

    private static DataFrame Load(string rows)
    {
        string path = Path.Combine(RepoPaths.TempDir("sweep-hand"), "results.csv");
        File.WriteAllText(path, Header + rows);
        return ResultsFrame.Load(path);
    }

    [Fact]
    public void SeedsWithoutAFiniteScoreAndUnfinishedCellsAreLeftOut()
    {
        var sweep = ExpertSweep.Summarise(Load(
            "b0,none,baseline,0,0,false,1,0,done,0.9\n" +
            "a,rd,authors,0,4,false,1,0,done,0.25\n" +
            "b,rd,authors,0,4,false,1,1,done,0.5\n" +
            "c,rd,authors,0,4,false,1,2,done,\n" +          // no score: not a seed of the mean
            "d,rd,authors,0,4,false,1,3,done,nan\n" +       // nan: left out too
            "e,rd,authors,0,4,false,1,4,failed,0\n" +      // not done
            "f,rd,authors,0,4,true,1,0,done,1\n" +         // reversed: its own group
            "g,rd,authors,2,2,false,1,0,done,0.75\n" +     // both directions
            "h,rd,authors,2,0,false,1,0,done,0.125\n"), "s.rate");
        Assert.Equal(4, sweep.Rows.Count);
        // Sorted: reverse false before true; within it direction activate, both, deactivate.
        Assert.Equal(["activate", "both", "deactivate", "deactivate"], sweep.Columns["direction"].Cast<string>());
        Assert.Equal([2, 4, 4, 4], sweep.Columns["steered_experts"].Cast<int?>().Select(v => v!.Value));
        Assert.Equal([false, false, false, true], sweep.Columns["reverse"].Cast<bool?>().Select(v => v!.Value));
        Assert.Equal([1, 1, 2, 1], sweep.Columns["seeds"].Cast<int?>().Select(v => v!.Value));
        Assert.Equal([0.125, 0.75, 0.375, 1], FrameAssert.Doubles(sweep, "mean"));
        Assert.Equal([0.125, 0.75, 0.25, 1], FrameAssert.Doubles(sweep, "low"));
        Assert.Equal([0.125, 0.75, 0.5, 1], FrameAssert.Doubles(sweep, "high"));
    }

    [Fact]
    public void ARunWithNoFinishedSteeredCellGivesAnEmptySweep()
    {
        var sweep = ExpertSweep.Summarise(Load("b0,none,baseline,0,0,false,1,0,done,0.9\na,rd,authors,0,4,false,1,0,pending,\n"), "s.rate");
        Assert.Equal(0, sweep.Rows.Count);
        Assert.Equal(["metric", "strategy", "reverse", "strength", "direction", "steered_experts", "seeds", "mean", "low", "high"], sweep.Columns.Select(c => c.Name));
    }

    [Fact]
    public void RecordsOfCellsWithSeveralStrengthsAskForOne()
    {
        var results = Load("a,rd,authors,0,4,false,1,0,done,0.25\nb,rd,authors,0,4,false,0.5,0,done,0.5\n");
        var e = Assert.Throws<ArgumentException>(() => ExpertSweep.Records(results, "s.rate", null, "rd"));
        Assert.Contains("strengths 1, 0.5", e.Message);
        var records = ExpertSweep.Records(results, "s.rate", null, "rd", strength: 0.5);
        Assert.Equal(new AblationRecord("deactivate", 4, 0, 0.5, double.NaN), Assert.Single(records));
    }
}
