using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Data.Tests;

public class CountTableTests
{
    private static CsvTable Csv(string text) => CsvTable.Parse(new StringReader(text), "counts.csv");

    [Fact]
    public void ReadsCountsIgnoringExtraColumnsAndSortsRows()
    {
        var t = CountTable.FromCsv(Csv("layer,expert,a1,d1,a2,d2,risk_diff\n1,0,5,5,2,8,0.3\n0,1,10,0,0,10,1\n0,0,0,10,10.0,0,-1\n"));
        Assert.Equal(3, t.Rows.Count);
        Assert.Equal((0, 0), (t.Rows[0].Layer, t.Rows[0].Expert));
        Assert.Equal(10, t.N1);
        Assert.Equal(10, t.N2);
        Assert.Equal(2, t.LayerCount);
        Assert.Equal(2, t.ExpertCount);
    }

    [Theory]
    [InlineData("layer,expert,a1,d1,a2,d2\n0,0,1,9,1,9\n0,1,2,9,1,9\n", "a1+d1 = 11")]
    [InlineData("layer,expert,a1,d1,a2,d2\n0,0,1,9,1,9\n0,1,1,9,1,8\n", "a2+d2 = 9")]
    [InlineData("layer,expert,a1,d1,a2,d2\n0,0,-1,11,1,9\n", "negative count")]
    [InlineData("layer,expert,a1,d1,a2\n0,0,1,9,1\n", "missing column 'd2'")]
    [InlineData("layer,expert,a1,d1,a2,d2\n0,0,x,9,1,9\n", "line 2, column 'a1': 'x' is not an integer")]
    [InlineData("layer,expert,a1,d1,a2,d2\n0,0,1,9,1,9\n0,0,1,9,1,9\n", "appears twice")]
    [InlineData("layer,expert,a1,d1,a2,d2\n0,0,1,9,1\n", "line 2: 5 cells, expected 6")]
    [InlineData("layer,expert,a1,d1,a2,d2\n", "no rows")]
    public void BadTablesGetErrorsNamingFileAndField(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => CountTable.FromCsv(Csv(text)));
        Assert.Contains("counts.csv", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void SaveRoundTripsAndReplacesAtomically()
    {
        string dir = RepoPaths.TempDir("counts");
        string path = Path.Combine(dir, "counts.csv");
        File.WriteAllText(path, "old");
        var t = CountTable.FromCsv(Csv("layer,expert,a1,d1,a2,d2\n0,0,3,7,4,6\n"));
        t.Save(path);
        var back = CountTable.Load(path);
        Assert.Equal(t.Rows, back.Rows);
        Assert.Single(Directory.GetFiles(dir)); // no temporary file left behind
    }

    [Fact]
    public void QuotedCellsAndRoundTripFormatting()
    {
        var t = Csv("a,b\n\"x, \"\"y\"\"\",1e-300\n");
        Assert.Equal("x, \"y\"", t.Text(0, 0));
        Assert.Equal(1e-300, t.Double(0, 1));
        Assert.Equal("\"x, \"\"y\"\"\"", CsvTable.Quote(t.Text(0, 0)));
        Assert.Equal(0.1 + 0.2, double.Parse(CsvTable.Format(0.1 + 0.2), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("-inf", CsvTable.Format(double.NegativeInfinity));
    }

    /// <summary>A layer no counted token was routed through (a dense layer) gets no rows; with no tokens every layer keeps its rows.</summary>
    [Fact]
    public void PooledCountsLeaveOutLayersWithoutRouting()
    {
        long[] a1 = [0, 0, 3, 1], a2 = [0, 0, 0, 2];   // [L 2, E 2]: layer 0 never routed
        var table = CountTable.FromPooled(2, 2, a1, a2, 4, 2, "pooled");
        Assert.Equal([1], table.Layers);
        Assert.Equal([new ExpertCounts(1, 0, 3, 1, 0, 2), new ExpertCounts(1, 1, 1, 3, 2, 0)], table.Rows);
        Assert.Equal(2, table.LayerCount);
        Assert.Equal([0, 1], CountTable.FromPooled(2, 2, new long[4], new long[4], 0, 0, "empty").Layers);
    }
}
