using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Detection.Tests;

/// <summary>What `steermoe rank` and `compare` run (the commands only parse options and print): files in, files out, errors.</summary>
public class CatalogTests
{
    private static string Write(string dir, string name, string text)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string Counts = "layer,expert,a1,d1,a2,d2\n0,0,30,70,40,160\n0,1,10,90,80,120\n1,0,40,60,20,180\n1,1,20,80,60,140\n";

    [Fact]
    public void RankFileWritesTheRankingAndCompareAgrees()
    {
        var dir = RepoPaths.TempDir("rank-file");
        var context = new SteerMoEContext();
        string output = Path.Combine(dir, "ranking.csv");
        var ranking = context.Detection.RankFile(Write(dir, "counts.csv", Counts), "rd", output);
        var csv = CsvTable.Load(output);
        Assert.Equal(4, csv.Rows.Count);
        Assert.Equal(("0", "1"), (csv.Rows[0][0], csv.Rows[0][1]));   // |RD| = 0.3, layer 0 before layer 1
        Assert.Equal(-0.3, csv.Double(0, csv.ColumnIndex("risk_diff")), 15);
        Assert.Equal("rd", ranking.Metric.Id);

        var comparison = context.Detection.CompareMetrics(context.Data.LoadCounts(Path.Combine(dir, "counts.csv")), "rd,log-or", [1, 2, 10]);
        var pair = Assert.Single(comparison.Pairs);
        // |RD| order: (0,1) 0.3, (1,0) 0.3 (tie: layer 0 first), (0,0) 0.1, (1,1) 0.1;
        // |log-OR| order: (1,0) 1.774, (0,1) 1.751, (0,0) 0.539, (1,1) 0.525. They part at N = 1.
        Assert.Equal(0.0, pair.Agreement.TopNJaccard[1]);
        Assert.Equal(1.0, pair.Agreement.TopNJaccard[2]);
        Assert.Equal(1.0, pair.Agreement.TopNJaccard[10]);   // N above the expert count: both sets are everything
        Assert.Equal(1, pair.Agreement.PartingN);
        // scipy.stats.spearmanr / kendalltau of the magnitudes (RD has two ties): 0.8944271909999159, 0.8164965809277261.
        Assert.Equal(0.8944271909999159, pair.Agreement.Spearman, 12);
        Assert.Equal(0.8164965809277261, pair.Agreement.KendallTauB, 12);
    }

    [Theory]
    [InlineData("layer,expert,a1,d1,a2,d2\n0,0,1,9,1,9\n0,1,2,9,1,9\n", "a1+d1 = 11")]
    [InlineData("layer,expert,a1,d1,a2,d2\n0,0,1,9,1,9\n0,1,1,9,1,8\n", "a2+d2 = 9")]
    [InlineData("layer,expert,a1,d1,a2,d2\n0,0,-1,11,1,9\n", "negative count")]
    public void BadCountTablesAreRejectedNamingTheFileAndExpert(string text, string expected)
    {
        var dir = RepoPaths.TempDir("rank-bad");
        string counts = Write(dir, "counts.csv", text), output = Path.Combine(dir, "ranking.csv");
        var e = Assert.Throws<FormatException>(() => new SteerMoEContext().Detection.RankFile(counts, "rd", output));
        Assert.Contains(counts, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void UnknownMetricFailsBeforeReadingAndListsTheIds()
    {
        var dir = RepoPaths.TempDir("rank-metric");
        var e = Assert.Throws<ArgumentException>(() => new SteerMoEContext().Detection.RankFile(Write(dir, "counts.csv", Counts), "risk", Path.Combine(dir, "r.csv")));
        Assert.Contains("known ids: rd, log-or, log-or-raw, log-rr, fisher, probe", e.Message);
        var context = new SteerMoEContext();
        var table = context.Data.LoadCounts(Path.Combine(dir, "counts.csv"));
        Assert.Throws<ArgumentException>(() => context.Detection.CompareMetrics(table, "rd,nope", [10]));
        Assert.Throws<ArgumentException>(() => context.Detection.CompareMetrics(table, "rd", [10]));
        Assert.Throws<ArgumentException>(() => context.Detection.CompareMetrics(table, "rd,log-or", [0]));
    }

    [Fact]
    public void MissingCountsFileIsNamed()
    {
        var e = Assert.Throws<FileNotFoundException>(() => new SteerMoEContext().Detection.RankFile("/nonexistent/counts.csv", "rd", "/tmp/x.csv"));
        Assert.Contains("/nonexistent/counts.csv", e.Message);
    }

    [Fact]
    public void PairResamplingDrawsFromTheContextSeed()
    {
        var pairs = new Detection.Pairs.PairCounts(40, 1, 2);
        var random = new Random(2);
        for (int p = 0; p < 40; p++)
        {
            pairs.Add(p, 1, 20, [random.Next(0, 15), random.Next(0, 21)]);
            pairs.Add(p, 2, 20, [random.Next(0, 10), random.Next(0, 21)]);
        }
        var a = new SteerMoEContext(5).Detection.PermutationTest(pairs, 200);
        var b = new SteerMoEContext(5).Detection.PermutationTest(pairs, 200);
        var c = new SteerMoEContext(6).Detection.PermutationTest(pairs, 200);
        Assert.Equal(a.P, b.P);
        Assert.NotEqual(a.P, c.P);
        var boot = new SteerMoEContext(5).Detection.ClusterBootstrap(pairs, 100, [1]);
        Assert.Equal(boot.High, new SteerMoEContext(5).Detection.ClusterBootstrap(pairs, 100, [1]).High);
    }
}
