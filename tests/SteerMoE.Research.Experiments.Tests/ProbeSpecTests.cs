using System.Text.Json;
using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Registry;
using SteerMoE.Research.Steering.Plans;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>`probe` as a spec's metric axis: "RD vs log-OR vs probe selection" as one ablation on models/default.</summary>
public class ProbeSpecTests
{
    /// <summary>
    /// The counting demo spec with metrics [rd, log-or, probe] and one cell per metric (2 activated, 2 deactivated, toward
    /// digits): the probe is fitted on the detection's per-pair counts (probe.json in the run folder, cross-validated AUC
    /// above 0.9), its plan activates the two planted digit experts and deactivates the two planted word experts, as RD's
    /// does, and steers the digit rate to at least 0.95.
    /// </summary>
    [Fact]
    public void SpecWithTheProbeOnItsMetricAxisSelectsThePlantedExpertsAndSteers()
    {
        string run = RepoPaths.TempDir("probe-spec");
        var context = new SteerMoEContext(0);
        var spec = context.Experiments.LoadSpec(RepoPaths.Get("Experiments", "Library", "Demo", "Specs", "counting.yaml"));
        spec = spec with { Metrics = ["rd", "log-or", "probe"], Strategies = ["authors"], Grid = spec.Grid with { Activate = [2], Deactivate = [2], Reverse = [false] } };
        var cells = context.Experiments.RunSteering(spec, run);
        Assert.Equal(4, cells.Count);   // baseline + one cell per metric
        Assert.All(cells, c => Assert.Equal(CellStatus.Done, c.Status));

        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "probe.json"))))
            Assert.True(summary.RootElement.GetProperty("auc_lo").GetDouble() > 0.9, summary.RootElement.ToString());
        var ranking = CsvTable.Load(Path.Combine(run, "ranking.probe.csv"));
        Assert.Equal("1", ranking.Text(0, ranking.ColumnIndex("rank")));

        var activate = DefaultModelTests.Planted("counting", 1).Order().ToArray();
        var deactivate = DefaultModelTests.Planted("counting", 2).Order().ToArray();
        foreach (string metric in new[] { "rd", "probe" })
        {
            var cell = cells.Single(c => c.Cell.Metric == metric);
            var plan = SteeringPlan.Load(Path.Combine(run, cell.Artifacts["plan"]));
            Assert.Equal(activate, plan.Layers.SelectMany(l => l.Value.Activate.Select(e => (l.Key, e.Expert))).Order());
            Assert.Equal(deactivate, plan.Layers.SelectMany(l => l.Value.Deactivate.Select(e => (l.Key, e.Expert))).Order());
            Assert.True(cell.Metrics["digits-rate.rate"] >= 0.95, $"{metric}: digits-rate {cell.Metrics["digits-rate.rate"]}");
        }
        var results = CsvTable.Load(Path.Combine(run, "results.csv"));
        Assert.Single(results.Rows, r => r[results.ColumnIndex("metric")] == "probe");
    }
}

/// <summary>`probe` through the command line: detect, rank, compare and plan on models/default, and the errors without pair counts.</summary>
public class ProbeCommandTests
{
    [Fact]
    public void RankComparePlanAcceptTheProbeAndSayWhichFileIsMissing()
    {
        string dir = RepoPaths.TempDir("probe-cli");
        string detect = Path.Combine(dir, "detect");
        var run = Cli.Run("detect", "--model", RepoPaths.Get("models", "default"), "--pairs", RepoPaths.Get("tools", "default-model", "data", "counting.pairs.jsonl"),
            "--out", detect, "--metric", "probe", "--resamples", "0");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.True(File.Exists(Path.Combine(detect, "probe.json")));
        string counts = Path.Combine(detect, "counts.csv"), pairCounts = Path.Combine(detect, "pair_counts.npy"), ranked = Path.Combine(dir, "ranking.csv");

        var rank = Cli.Run("rank", "--counts", counts, "--pair-counts", pairCounts, "--metric", "probe", "--resamples", "0", "--out", ranked);
        Assert.True(rank.ExitCode == 0, rank.Stderr);
        Assert.Contains("ranked by probe (probe_weight)", rank.Stdout);
        Assert.Contains("cross-validated AUC 1.0000", rank.Stdout);
        // Same seed, same folds: rank on the run's pair counts writes the ranking detect wrote.
        Assert.Equal(File.ReadAllText(Path.Combine(detect, "ranking.csv")), File.ReadAllText(ranked));
        var table = CsvTable.Load(ranked);
        int weight = table.ColumnIndex("probe_weight");
        var magnitudes = Enumerable.Range(0, table.Rows.Count).Select(r => Math.Abs(table.Double(r, weight))).ToArray();
        Assert.Equal(magnitudes.OrderDescending(), magnitudes);
        Assert.True(File.Exists(Path.Combine(dir, "probe.csv")));

        string planPath = Path.Combine(dir, "PLAN.json");
        var plan = Cli.Run("plan", "--ranking", ranked, "--metric", "probe", "--activate", "2", "--deactivate", "2", "--model", RepoPaths.Get("models", "default"), "--out", planPath);
        Assert.True(plan.ExitCode == 0, plan.Stderr);
        var loaded = SteeringPlan.Load(planPath);
        Assert.Equal(DefaultModelTests.Planted("counting", 1).Order(), loaded.Layers.SelectMany(l => l.Value.Activate.Select(e => (l.Key, e.Expert))).Order());
        Assert.Equal(DefaultModelTests.Planted("counting", 2).Order(), loaded.Layers.SelectMany(l => l.Value.Deactivate.Select(e => (l.Key, e.Expert))).Order());

        var compare = Cli.Run("compare", "--counts", counts, "--metrics", "rd,probe", "--top", "4", "--pair-counts", pairCounts);
        Assert.True(compare.ExitCode == 0, compare.Stderr);
        Assert.Contains("rd        probe", compare.Stdout);

        // Without the per-pair counts: exit 2, naming the file and the flag.
        var noPairs = Cli.Run("rank", "--counts", counts, "--metric", "probe", "--out", Path.Combine(dir, "r2.csv"));
        Assert.Equal(2, noPairs.ExitCode);
        Assert.Contains("pair_counts.npy", noPairs.Stderr);
        Assert.Contains("--pair-counts", noPairs.Stderr);
        var noPairsCompare = Cli.Run("compare", "--counts", counts, "--metrics", "rd,probe");
        Assert.Equal(2, noPairsCompare.ExitCode);
        Assert.Contains("pair_counts.npy", noPairsCompare.Stderr);
        var missing = Cli.Run("rank", "--counts", counts, "--metric", "probe", "--pair-counts", Path.Combine(dir, "nowhere", "pair_counts.npy"), "--out", Path.Combine(dir, "r3.csv"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains(Path.Combine(dir, "nowhere", "pair_counts.npy") + ": no such file", missing.Stderr);
        // A ranking written without the probe: plan --metric probe says how to get the column.
        Assert.True(Cli.Run("rank", "--counts", counts, "--out", Path.Combine(dir, "rd.csv")).ExitCode == 0);
        var empty = Cli.Run("plan", "--ranking", Path.Combine(dir, "rd.csv"), "--metric", "probe", "--activate", "2", "--cap", "2", "--out", Path.Combine(dir, "P2.json"));
        Assert.Equal(2, empty.ExitCode);
        Assert.Contains("column 'probe_weight': empty", empty.Stderr);
        Assert.Contains("rank --metric probe --pair-counts", empty.Stderr);
    }
}
