using System.Globalization;
using Microsoft.Data.Analysis;
using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Detection.Comparison;
using SteerMoE.Research.Detection.Frames;
using SteerMoE.Research.Detection.Ranking;
using SteerMoE.Research.Plots.Figures;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Detection.Tests.Frames;

/// <summary>Count tables, rankings and metric comparisons as DataFrames, and the analyses on them, against the existing objects.</summary>
public class DetectionFrameTests
{
    private static readonly string[] Metrics = ["rd", "log-or", "log-rr", "fisher"];

    [ReleasedTablesTheory]
    [MemberData(nameof(ReleasedTables.Both), MemberType = typeof(ReleasedTables))]
    public void CountFrameHoldsTheFilesCountsTyped(string path)
    {
        var frame = CountFrame.Load(path);
        var table = CountTable.Load(path);
        var csv = CsvTable.Load(path);
        // The six columns only (the released tables' risk_diff, log_odds_ratio, ... are ignored), int and long.
        Assert.Equal(["layer", "expert", "a1", "d1", "a2", "d2"], frame.Columns.Select(c => c.Name));
        Assert.Equal([typeof(int), typeof(int), typeof(long), typeof(long), typeof(long), typeof(long)], frame.Columns.Select(c => c.DataType));
        Assert.Equal(1024, frame.Rows.Count);
        // The released files are sorted by layer, expert: the frame's rows are the file's rows and the table's rows.
        foreach (string column in CountTable.RequiredColumns)
        {
            int c = csv.ColumnIndex(column);
            Assert.Equal(csv.Rows.Select(r => long.Parse(r[c], CultureInfo.InvariantCulture)), FrameAssert.Longs(frame, column));
        }
        Assert.Equal(table.Rows.Select(r => r.A2), FrameAssert.Longs(frame, "a2"));
        FrameAssert.Equal(table.ToDataFrame(), frame);
        // And back: the frame is the same count table.
        Assert.Equal(table.Rows, frame.ToCountTable(path).Rows);
    }

    [ReleasedTablesTheory]
    [MemberData(nameof(ReleasedTables.Both), MemberType = typeof(ReleasedTables))]
    public void RankingFrameEqualsTheRankingAndItsCsv(string path)
    {
        var ranking = ExpertRanking.Rank(CountTable.Load(path), DetectionMetric.Get("rd"));
        string file = Path.Combine(RepoPaths.TempDir("ranking-frame"), "ranking.csv");
        ranking.Save(file);
        var loaded = RankingFrame.Load(file);
        var built = ranking.ToDataFrame();
        Assert.Equal(ExpertRanking.Columns, loaded.Columns.Select(c => c.Name));
        FrameAssert.Equal(built, loaded);
        // Values are the objects' values, in rank order; the pair-level columns were not computed: null, not 0.
        var rd = FrameAssert.Doubles(loaded, "risk_diff");
        var q = FrameAssert.Doubles(loaded, "fisher_q");
        for (int i = 0; i < ranking.Experts.Count; i++)
        {
            var s = ranking.Experts[i];
            Assert.Equal((s.Counts.Layer, s.Counts.Expert, i + 1), ((int)loaded.Columns["layer"][i], (int)loaded.Columns["expert"][i], (int)loaded.Columns["rank"][i]));
            Assert.Equal(s.RiskDifference, rd[i]);
            Assert.Equal(s.FisherQ, q[i]);
        }
        Assert.Equal(loaded.Rows.Count, loaded.Columns["paired_t"].NullCount);
        Assert.Equal(loaded.Rows.Count, loaded.Columns["top_n_stability"].NullCount);
        // The authors' own risk_diff column (10 significant digits printed) agrees with the frame's, row by row.
        var released = CsvTable.Load(path);
        var theirs = Enumerable.Range(0, released.Rows.Count).ToDictionary(r => (released.Int64(r, 0), released.Int64(r, 1)), r => released.Double(r, released.ColumnIndex("risk_diff")));
        for (int i = 0; i < rd.Length; i++)
        {
            double printed = theirs[((int)loaded.Columns["layer"][i], (int)loaded.Columns["expert"][i])];
            Assert.True(Math.Abs(printed - rd[i]) <= 5e-10 * Math.Abs(rd[i]) + 1e-300, $"row {i}: the authors printed {printed}, the frame holds {rd[i]}");
        }
    }

    [ReleasedTablesTheory]
    [MemberData(nameof(ReleasedTables.Both), MemberType = typeof(ReleasedTables))]
    public void RankingTheFrameByAnotherMetricGivesThatMetricsRanking(string path)
    {
        var table = CountTable.Load(path);
        var frame = ExpertRanking.Rank(table, DetectionMetric.Get("rd")).ToDataFrame();
        foreach (string id in Metrics)
        {
            var metric = DetectionMetric.Get(id);
            var expected = ExpertRanking.Rank(table, metric).ToDataFrame();
            FrameAssert.Equal(expected, RankingFrame.RankBy(frame, metric.Column));
        }
    }

    [ReleasedTablesTheory]
    [MemberData(nameof(ReleasedTables.Both), MemberType = typeof(ReleasedTables))]
    public void TopNOverlapGroupedByMetricEqualsTheMetricComparison(string path)
    {
        var table = CountTable.Load(path);
        int[] topN = [1, 10, 50, 100, 500, 2000];
        var comparison = MetricComparison.Compare(table, Metrics.Select(id => DetectionMetric.Get(id)).ToList(), topN);
        var overlap = RankingAnalysis.TopNOverlap(ExpertRanking.Rank(table, DetectionMetric.Get("rd")).ToDataFrame(), Metrics, topN);
        Assert.Equal(comparison.Pairs.Count * topN.Length, overlap.Rows.Count);
        var jaccard = FrameAssert.Doubles(overlap, "jaccard");
        for (long r = 0; r < overlap.Rows.Count; r++)
        {
            var pair = comparison.Pairs.Single(p => p.A.Id == (string)overlap.Columns["metric_a"][r] && p.B.Id == (string)overlap.Columns["metric_b"][r]);
            int n = (int)overlap.Columns["n"][r], shared = (int)overlap.Columns["shared"][r];
            Assert.Equal(pair.Agreement.TopNJaccard[n], jaccard[r]);
            int size = Math.Min(n, table.Rows.Count);
            Assert.Equal((double)shared / (2 * size - shared), jaccard[r]);
        }
        // By hand: the experts in both metrics' first 50 of ExpertRanking.
        var top50 = (string id) => ExpertRanking.Rank(table, DetectionMetric.Get(id)).Experts.Take(50).Select(s => (s.Counts.Layer, s.Counts.Expert)).ToHashSet();
        int row = Enumerable.Range(0, jaccard.Length).Single(r => (string)overlap.Columns["metric_a"][r] == "rd" && (string)overlap.Columns["metric_b"][r] == "log-or" && (int)overlap.Columns["n"][r] == 50);
        Assert.Equal(top50("rd").Intersect(top50("log-or")).Count(), (int)overlap.Columns["shared"][row]);
        Assert.Equal(1.0, jaccard[Enumerable.Range(0, jaccard.Length).First(r => (int)overlap.Columns["n"][r] == 2000)]);

        // The agreement table itself as a frame: the objects' values, and what compare --out writes reads back the same.
        var frame = comparison.ToDataFrame();
        string file = Path.Combine(RepoPaths.TempDir("comparison-frame"), "agreement.csv");
        comparison.ToCsv(file).Save(file);
        FrameAssert.Equal(frame, ComparisonFrame.Load(file));
        Assert.Equal(["metric_a", "metric_b", "spearman", "kendall_tau_b", .. topN.Select(n => $"jaccard_top{n}"), "parting_n"], frame.Columns.Select(c => c.Name));
        for (int i = 0; i < comparison.Pairs.Count; i++)
        {
            var p = comparison.Pairs[i].Agreement;
            Assert.Equal(p.Spearman, (double)frame.Columns["spearman"][i]);
            Assert.Equal(p.KendallTauB, (double)frame.Columns["kendall_tau_b"][i]);
            Assert.Equal(p.TopNJaccard[100], (double)frame.Columns["jaccard_top100"][i]);
            Assert.Equal(p.PartingN, (int?)frame.Columns["parting_n"][i]);
        }
    }

    [ReleasedTablesTheory]
    [MemberData(nameof(ReleasedTables.Both), MemberType = typeof(ReleasedTables))]
    public void PerLayerAggregatesEqualTheirHandComputation(string path)
    {
        var table = CountTable.Load(path);
        var ranking = ExpertRanking.Rank(table, DetectionMetric.Get("rd"));
        var byLayer = RankingAnalysis.ByLayer(ranking.ToDataFrame(), "risk_diff");
        Assert.Equal(["layer", "experts", "a1", "a2", "risk_diff_mean", "risk_diff_mean_abs", "risk_diff_max_abs"], byLayer.Columns.Select(c => c.Name));
        Assert.Equal(16, byLayer.Rows.Count);
        for (int l = 0; l < 16; l++)
        {
            Assert.Equal(l, (int)byLayer.Columns["layer"][l]);
            Assert.Equal(64, (int)byLayer.Columns["experts"][l]);
            // OLMoE routes every token to k = 8 of its 64 experts: each layer's activations are 8 N per side.
            Assert.Equal(8 * table.N1, (long)byLayer.Columns["a1"][l]);
            Assert.Equal(8 * table.N2, (long)byLayer.Columns["a2"][l]);
            // Mean and largest |RD| over the layer's experts, summed in ranking order as the frame holds them.
            var rows = ranking.Experts.Where(s => s.Counts.Layer == l).ToArray();
            Assert.Equal(rows.Select(s => s.RiskDifference).Average(), (double)byLayer.Columns["risk_diff_mean"][l]);
            Assert.Equal(rows.Select(s => Math.Abs(s.RiskDifference)).Average(), (double)byLayer.Columns["risk_diff_mean_abs"][l]);
            Assert.Equal(rows.Max(s => Math.Abs(s.RiskDifference)), (double)byLayer.Columns["risk_diff_max_abs"][l]);
        }
        // With side totals equal, the layer's risk differences sum to (8 N1 / N1 - 8 N2 / N2) = 0 up to rounding.
        Assert.All(FrameAssert.Doubles(byLayer, "risk_diff_mean"), m => Assert.InRange(m, -1e-15, 1e-15));
    }

    [ReleasedTablesTheory]
    [MemberData(nameof(ReleasedTables.Both), MemberType = typeof(ReleasedTables))]
    public void TopExpertsPerLayerEqualTheFiguresCount(string path)
    {
        var table = CountTable.Load(path);
        var frame = ExpertRanking.Rank(table, DetectionMetric.Get("rd")).ToDataFrame();
        foreach (string id in new[] { "rd", "log-or" })
        {
            var metric = DetectionMetric.Get(id);
            var statistics = ExpertStatistics.Compute(table);
            var grid = ExpertScoreGrid.FromRows(id, statistics.Select(s => (s.Counts.Layer, s.Counts.Expert, metric.Score(s))));
            foreach (int n in new[] { 1, 20, 100, 1024 })
            {
                var perLayer = RankingAnalysis.TopPerLayer(frame, metric.Column, n);
                Assert.Equal(grid.TopRankedPerLayer(n, positive: true), perLayer.Columns["positive"].Cast<int?>().Select(v => v!.Value));
                Assert.Equal(grid.TopRankedPerLayer(n, positive: false), perLayer.Columns["negative"].Cast<int?>().Select(v => v!.Value));
                Assert.Equal(Math.Min(n, statistics.Count(s => metric.Score(s) > 0)), perLayer.Columns["positive"].Cast<int?>().Sum(v => v!.Value));
            }
        }
    }

    [Fact]
    public void RankingOfADetectRunHoldsThePairLevelColumns()
    {
        // A detect run on the embedded default model: its ranking.csv has every pair-level column filled.
        string run = RepoPaths.TempDir("frames-detect");
        var context = new SteerMoEContext(0);
        context.Detection.Collect(RepoPaths.Get("models", "default"), RepoPaths.Get("tools", "default-model", "data", "counting.pairs.jsonl"), run,
            new Detection.Collection.CollectionOptions(), "rd", new Detection.Pairs.PairInferenceOptions { Resamples = 200 });
        var loaded = RankingFrame.Load(Path.Combine(run, "ranking.csv"));
        // The same ranking from the run's files (what `rank --pair-counts --paired-t` computes, ranking.csv byte for byte).
        var ranking = context.Detection.RankFile(Path.Combine(run, "counts.csv"), "rd", Path.Combine(run, "again.csv"), Path.Combine(run, "pair_counts.npy"),
            new Detection.Pairs.PairInferenceOptions { Resamples = 200 }, Path.Combine(run, "paired_t.json"));
        FrameAssert.Equal(ranking.ToDataFrame(), loaded);
        Assert.Equal(32, loaded.Rows.Count);
        foreach (string column in Detection.Pairs.PairLevelStatistics.Columns.Where(c => !c.StartsWith("paired_t", StringComparison.Ordinal)))
            Assert.Equal(0, loaded.Columns[column].NullCount);
        var stability = FrameAssert.Doubles(loaded, "top_n_stability");
        for (int i = 0; i < 32; i++)
        {
            var s = ranking.Experts[i];
            Assert.Equal(ranking.PairLevel!.Bootstrap!.TopNFrequency[ranking.PairLevel.StabilityTop][s.Counts.Layer * 8 + s.Counts.Expert], stability[i]);
        }
        // The detect run's counts as a frame: per layer the model's k = 2 activations per counted token and side.
        var counts = CountFrame.Load(Path.Combine(run, "counts.csv"));
        var byLayer = RankingAnalysis.ByLayer(loaded);
        long n1 = (long)counts.Columns["a1"][0] + (long)counts.Columns["d1"][0];
        Assert.All(Enumerable.Range(0, 4), l => Assert.Equal(2 * n1, (long)byLayer.Columns["a1"][l]));
    }

    private static string Write(string text)
    {
        string path = Path.Combine(RepoPaths.TempDir("frames-bad"), "table.csv");
        File.WriteAllText(path, text);
        return path;
    }

    private const string Ranking = "layer,expert,a1,d1,a2,d2,risk_diff,risk_diff_lo,risk_diff_hi,log_odds_ratio,log_odds_ratio_lo,log_odds_ratio_hi,log_odds_ratio_raw,log_relative_risk,log_relative_risk_lo,log_relative_risk_hi,fisher_p,fisher_log10_p,fisher_q,paired_t,paired_t_df,paired_t_p,perm_p,risk_diff_boot_lo,risk_diff_boot_hi,top_n_stability,probe_weight,rank\n" +
        "0,1,10,90,40,60,-0.3,-0.4,-0.2,-1.7,-2.4,-1,-1.79,-1.38,-2,-0.7,1e-6,-6,2e-6,,,,,,,,,1\n";

    [Theory]
    [InlineData("counts", "layer,expert,a1,d1,a2\n0,0,1,9,1\n", "missing column 'd2'", "counts.csv (docs/CONTRACTS.md §5.3)")]
    [InlineData("counts", "layer,expert,a1,d1,a2,d2\n0,0,1,9,1,9\n0,1,x,9,1,9\n", "line 3, column 'a1': 'x' is not an integer", "expects an integer in column 'a1'")]
    [InlineData("counts", "layer,expert,a1,d1,a2,d2\n0,0,1,9,1,9\n0,1,,9,1,9\n", "line 3, column 'a1': empty", "expects an integer in every row")]
    [InlineData("counts", "layer,expert,a1,d1,a2,d2\n0,0,1,9,1,9\n0,1,2,9,1,9\n", "a1+d1 = 11", "side 1's token count")]
    [InlineData("counts", "layer,expert,a1,d1,a2,d2\n3000000000,0,1,9,1,9\n", "column 'layer': 3000000000 is out of range", "a 32-bit integer")]
    [InlineData("ranking", "layer,expert,a1,d1,a2,d2,risk_diff,rank\n0,0,1,9,1,9,0,1\n", "missing columns 'risk_diff_lo', 'risk_diff_hi'", "ranking.csv (docs/CONTRACTS.md §5.4) has the columns layer,expert")]
    [InlineData("ranking", Ranking + "0,0,10,90,40,60,high,-0.4,-0.2,-1.7,-2.4,-1,-1.79,-1.38,-2,-0.7,1e-6,-6,2e-6,,,,,,,,,2\n", "line 3, column 'risk_diff': 'high' is not a number", "expects a number (nan, inf, -inf allowed)")]
    [InlineData("ranking", Ranking + "0,0,10,90,40,60,-0.3,-0.4,-0.2,-1.7,-2.4,-1,-1.79,-1.38,-2,-0.7,1e-6,-6,,,,,,,,,,2\n", "line 3, column 'fisher_q': empty", "ranking.csv")]
    [InlineData("ranking", Ranking + "0,0,10,90,40,60,-0.3,-0.4,-0.2,-1.7,-2.4,-1,-1.79,-1.38,-2,-0.7,1e-6,-6,2e-6,,,,,,,,,2.5\n", "line 3, column 'rank': '2.5' is not an integer", "ranking.csv")]
    [InlineData("comparison", "metric_a,metric_b,spearman,jaccard_top10,parting_n\nrd,log-or,0.5,0.3,\n", "missing column 'kendall_tau_b'", "`steermoe compare --out`")]
    [InlineData("comparison", "metric_a,metric_b,spearman,kendall_tau_b,jaccard_top10,parting_n\nrd,log-or,0.5,0.4,most,\n", "line 2, column 'jaccard_top10': 'most' is not a number", "compare")]
    public void BadFilesFailNamingTheFileTheColumnAndWhatWasExpected(string kind, string text, string expected, string contract)
    {
        string path = Write(text);
        Func<DataFrame> load = kind switch
        {
            "counts" => () => CountFrame.Load(path),
            "ranking" => () => RankingFrame.Load(path),
            _ => () => ComparisonFrame.Load(path),
        };
        var e = Assert.Throws<FormatException>(load);
        Assert.StartsWith(path + ":", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains(contract, e.Message);
    }

    [Fact]
    public void ARankingFrameReadsNanInfAndEmptyPairLevelCells()
    {
        string path = Write(Ranking + "0,0,0,100,0,100,0,-0.03,0.03,0,-2.7,2.7,nan,nan,-inf,inf,1,0,1,,,,,,,,,2\n");
        var frame = RankingFrame.Load(path);
        Assert.Equal([-1.79, double.NaN], FrameAssert.Doubles(frame, "log_odds_ratio_raw"));
        Assert.Equal([-2, double.NegativeInfinity], FrameAssert.Doubles(frame, "log_relative_risk_lo"));
        Assert.Equal([-0.7, double.PositiveInfinity], FrameAssert.Doubles(frame, "log_relative_risk_hi"));
        Assert.Equal(2, frame.Columns["perm_p"].NullCount);
        Assert.Equal(2, frame.Columns["probe_weight"].NullCount);
        Assert.Equal(0, frame.Columns["log_odds_ratio_raw"].NullCount);
        Assert.Equal(typeof(int), frame.Columns["rank"].DataType);
    }

    [Fact]
    public void AgreementOfTwoIdenticalOrdersHasNoPartingN()
    {
        // rd and log-or order these experts the same way: the top-N sets never differ, parting_n is null (empty in the CSV).
        var table = new CountTable([new ExpertCounts(0, 0, 90, 10, 10, 90), new ExpertCounts(0, 1, 60, 40, 40, 60), new ExpertCounts(1, 0, 51, 49, 49, 51)]);
        var comparison = MetricComparison.Compare(table, [DetectionMetric.Get("rd"), DetectionMetric.Get("log-or")], [1, 2]);
        Assert.Null(comparison.Pairs[0].Agreement.PartingN);
        string file = Path.Combine(RepoPaths.TempDir("comparison-frame"), "agreement.csv");
        comparison.ToCsv(file).Save(file);
        var frame = ComparisonFrame.Load(file);
        Assert.Equal(1, frame.Columns["parting_n"].NullCount);
        Assert.Equal([1.0], FrameAssert.Doubles(frame, "jaccard_top2"));
        FrameAssert.Equal(comparison.ToDataFrame(), frame);
        // The overlap on the frame agrees: each metric's top 1 is L0E0.
        var overlap = RankingAnalysis.TopNOverlap(ExpertRanking.Rank(table, DetectionMetric.Get("rd")).ToDataFrame(), ["rd", "log-or"], [1, 2]);
        Assert.Equal([1, 2], overlap.Columns["shared"].Cast<int?>().Select(v => v!.Value));
    }
}
