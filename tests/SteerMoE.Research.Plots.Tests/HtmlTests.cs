using System.Text.RegularExpressions;
using System.Xml.Linq;
using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Plots.Figures;
using SteerMoE.Research.Plots.Html;

namespace SteerMoE.Research.Plots.Tests;

public class HtmlTests
{
    [Fact]
    public void TokenShadingHasOneEscapedSpanPerTokenWithItsCount()
    {
        string[] tokens = ["The", " <b>", " Paris", "&"];
        int[] counts = [0, 3, 6, 1];
        string html = TokenShading.Create(tokens, counts, 6, "t");
        var doc = XDocument.Parse(html); // the fragment is well-formed
        var spans = doc.Descendants("span").Where(s => (string?)s.Attribute("class") == "token").ToList();
        Assert.Equal(tokens, spans.Select(s => s.Value));
        Assert.Equal(counts.Select(c => c.ToString()), spans.Select(s => (string)s.Attribute("data-count")!));
        Assert.Contains("background:#ffffff", (string)spans[0].Attribute("style")!);   // 0: no colour
        Assert.Contains("background:#990000", (string)spans[2].Attribute("style")!);   // max: darkest
        Assert.Contains("color:#ffffff", (string)spans[2].Attribute("style")!);
    }

    [Fact]
    public void TokenShadingRefusesMismatchedOrOutOfRangeCounts()
    {
        Assert.Contains("2 tokens but 1 counts", Assert.Throws<ArgumentException>(() => TokenShading.Create(["a", "b"], [1], 3, "t")).Message);
        Assert.Contains("token 1 ('b'): count 4 is outside [0, 3]", Assert.Throws<ArgumentException>(() => TokenShading.Create(["a", "b"], [1, 4], 3, "t")).Message);
        Assert.Throws<ArgumentException>(() => TokenShading.Create(["a"], [0], 0, "t"));
    }

    [Fact]
    public void ReportInlinesFiguresWithDistinctIdsAndTables()
    {
        var grid = ExpertScoreGrid.FromRows("m", [(0, 0, 0.1), (0, 1, -0.1), (1, 0, 0.2), (1, 1, 0.0)]);
        var table = new CsvTable(["layer", "expert", "risk_diff"], [["0", "0", "0.1"], ["0", "1", "<x>"], ["1", "0", "0.2"]]);
        var report = new HtmlReport("Run & report")
            .AddHeading("Figures").AddFigure(RiskDifferenceHeatmap.Create(grid), "heatmap")
            .AddFigure(TopExpertsPerLayer.Create([grid], 2), "bars")
            .AddTable(table, "ranking", maxRows: 2)
            .AddHtml(TokenShading.Create(["a"], [1], 1, "tokens"));
        string html = report.ToHtml();
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("src=\"http", html);
        var svgs = Regex.Matches(html, "<svg .*?</svg>", RegexOptions.Singleline).Select(m => m.Value).ToList();
        Assert.Equal(2, svgs.Count);
        var ids = svgs.SelectMany(s => new SvgInspection(s).Document.Descendants().Select(e => (string?)e.Attribute("id")).Where(i => i != null)).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Contains("ranking (first 2 of 3 rows)", html);
        Assert.Contains("<td>&lt;x&gt;</td>", html);
        Assert.DoesNotContain("<td>0.2</td>", html);
        Assert.Contains("<title>Run &amp; report</title>", html);
        string path = Path.Combine(SteerMoE.Research.Tests.RepoPaths.TempDir("report"), "report.html");
        report.Save(path);
        Assert.Equal(html, File.ReadAllText(path));
    }
}

public class HtmlNumberDisplayTests
{
    [Theory]
    [InlineData("0.3142857142857143", "0.3143")]
    [InlineData("-0.02857142857142858", "-0.02857")]
    [InlineData("123.456789", "123.5")]
    [InlineData("6.5e-06", "6.5E-06")]
    [InlineData("35", "35")]
    [InlineData("0.5", "0.5")]
    [InlineData("NaN", "NaN")]
    [InlineData("rd", "rd")]
    [InlineData("", "")]
    public void NumbersShowFourSignificantDigits(string cell, string shown) => Assert.Equal(shown, HtmlReport.Display(cell));

    [Fact]
    public void TablesScrollInsteadOfOverflowingThePage()
    {
        var table = new CsvTable(["a"], [["0.1234567"]]);
        string html = new HtmlReport("t").AddTable(table).ToHtml();
        Assert.Contains("<div class=\"table\"><table>", html);
        Assert.Contains(".table{overflow-x:auto;max-width:100%}", html);
        Assert.Contains("<td>0.1235</td>", html);
    }
}

public class TokenShadingFigureTests
{
    [Fact]
    public void VectorTokenShadingHasOneShadedBoxPerTokenAndWrapsLongText()
    {
        var tokens = Enumerable.Range(0, 120).Select(i => i % 17 == 16 ? " end.\n" : $" word{i}").ToList();
        var counts = tokens.Select((_, i) => i % 9).ToList();
        var figure = TokenShading.CreateFigure(tokens, counts, 8, "tokens");
        var svg = new SvgInspection(figure.ToSvg());
        var boxes = svg.WithClass("token");
        // One box per token, plus one per line a token's newline opens (the empty rest after "end.\n").
        int newlines = tokens.Count(t => t.Contains('\n'));
        Assert.Equal(tokens.Count + newlines, boxes.Count);
        Assert.Equal(Enumerable.Range(0, tokens.Count), boxes.Select(b => (int)SvgInspection.Number(b, "data-index")).Distinct());
        Assert.All(boxes, b => Assert.Equal(counts[(int)SvgInspection.Number(b, "data-index")], (int)SvgInspection.Number(b, "data-count")));
        // Every box stays inside the figure: the text wrapped.
        Assert.All(boxes, b => Assert.InRange(SvgInspection.Number(b, "x") + SvgInspection.Number(b, "width"), 0, figure.Width));
        Assert.All(boxes, b => Assert.InRange(SvgInspection.Number(b, "y") + SvgInspection.Number(b, "height"), 0, figure.Height));
        Assert.True(boxes.Select(b => SvgInspection.Number(b, "y")).Distinct().Count() > 5);
    }
}
