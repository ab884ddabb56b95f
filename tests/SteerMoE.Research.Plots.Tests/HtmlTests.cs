using System.Text.RegularExpressions;
using System.Xml.Linq;
using SteerMoE.Research.Plots.Colors;
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
    public void ReportEmbedsFiguresAsPngsAndTables()
    {
        var grid = ExpertScoreGrid.FromRows("m", [(0, 0, 0.1), (0, 1, -0.1), (1, 0, 0.2), (1, 1, 0.0)]);
        var table = new CsvTable(["layer", "expert", "risk_diff"], [["0", "0", "0.1"], ["0", "1", "<x>"], ["1", "0", "0.2"]]);
        var heatmap = RiskDifferenceHeatmap.Create(grid);
        var report = new HtmlReport("Run & report")
            .AddHeading("Figures").AddFigure(heatmap, "heatmap")
            .AddFigure(TopExpertsPerLayer.Create([grid], 2), "bars")
            .AddTable(table, "ranking", maxRows: 2)
            .AddHtml(TokenShading.Create(["a"], [1], 1, "tokens"));
        string html = report.ToHtml();
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("src=\"http", html);
        var images = Regex.Matches(html, "<img src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\" width=\"(\\d+)\" height=\"(\\d+)\"").ToList();
        Assert.Equal(2, images.Count);
        // The first image is the heatmap's PNG at twice its size, shown at its pixel size.
        Assert.Equal(heatmap.ToPng(2), Convert.FromBase64String(images[0].Groups[1].Value));
        Assert.Equal((heatmap.Width.ToString(), heatmap.Height.ToString()), (images[0].Groups[2].Value, images[0].Groups[3].Value));
        Assert.Contains("<figcaption>heatmap</figcaption>", html);
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

    [Fact]
    public void WideTablesSplitIntoPartsThatRepeatTheKeyAndConstantColumnsMoveToTheCaption()
    {
        // Key "id" (header 2 + 1, cells 2: 5 characters with padding) + 20 value columns of 6-character cells ("0.1219",
        // 8 with padding; headers break after '_'): 140 characters hold (140 - 5) / 8 = 16 value columns a part, so 2 parts.
        string[] columns = ["id", "kind", "seed", .. Enumerable.Range(0, 20).Select(i => $"value_{i}")];
        var rows = Enumerable.Range(0, 3).Select(r => (string[])[$"r{r}", "k", "7", .. Enumerable.Range(0, 20).Select(i => $"0.{1000 + 100 * r + i}")]).ToList();
        string html = new HtmlReport("t").AddTable(new CsvTable(columns, rows), "wide.", 50, keyColumns: 2).ToHtml();
        var tables = System.Text.RegularExpressions.Regex.Matches(html, "<table>(.*?)</table>", System.Text.RegularExpressions.RegexOptions.Singleline);
        const int parts = 2;                              // "kind" and "seed" are the same in every row: in the caption
        Assert.Equal(140, HtmlReport.TableCharacters);
        Assert.Equal(parts, tables.Count);
        Assert.Equal(16, System.Text.RegularExpressions.Regex.Matches(tables[0].Value, "<th>value_").Count);
        Assert.Contains("<caption>wide. Every row: kind = k, seed = 7. [part 1 of 2]</caption>", html);
        Assert.Contains("<caption>wide. [part 2 of 2]</caption>", html);
        foreach (System.Text.RegularExpressions.Match t in tables)
        {
            Assert.Contains("<th>id</th>", t.Value);                 // every part starts with the key
            Assert.DoesNotContain("<th>kind</th>", t.Value);
        }
        Assert.Contains("<th>value_<wbr>0</th>", tables[0].Value);
        Assert.Contains("<th>value_<wbr>19</th>", tables[^1].Value);
        Assert.Equal(20, System.Text.RegularExpressions.Regex.Matches(html, "<th>value_").Count);   // each value column once
    }
}

public class TokenShadingFigureTests
{
    [Fact]
    public void TokenShadingFigureHasOneShadedBoxPerTokenAndWrapsLongText()
    {
        var tokens = Enumerable.Range(0, 120).Select(i => i % 17 == 16 ? " end.\n" : $" word{i}").ToList();
        var counts = tokens.Select((_, i) => i % 9).ToList();
        var figure = TokenShading.CreateFigure(tokens, counts, 8, "tokens");
        FigureInspection.Gallery(figure, "token-shading");
        // One box per token, plus one per line a token's newline opens (the empty rest after "end.\n").
        int newlines = tokens.Count(t => t.Contains('\n'));
        Assert.Equal(tokens.Count + newlines, figure.Boxes.Count);
        Assert.Equal(Enumerable.Range(0, tokens.Count), figure.Boxes.Select(b => b.Index).Distinct());
        Assert.All(figure.Boxes, b => Assert.Equal(counts[b.Index], b.Count));
        Assert.All(figure.Boxes, b => Assert.Equal(ColorMap.WhiteOrangeRed.At(b.Count / 8.0).ToColor(), b.Box.FillColor));
        // Every box stays inside the text area: the text wrapped onto several lines.
        Assert.All(figure.Boxes, b => Assert.InRange(b.Box.X2, 0, figure.TextWidth + 0.01));
        Assert.True(figure.Lines > 5);
        Assert.All(figure.Boxes, b => Assert.InRange(b.Box.Y2, 0, figure.Lines));
        // The darkest token's box is drawn in its colour (left edge of the box, beside its text).
        using var bitmap = FigureInspection.Decode(figure);
        var dark = figure.Boxes.First(b => b.Count == 8).Box;
        var px = figure.Panels[0].GetPixel(new ScottPlot.Coordinates(dark.X1 + 0.6, dark.Y1 + 0.1));
        FigureInspection.AssertClose(ColorMap.WhiteOrangeRed.At(1), FigureInspection.At(bitmap, px.X, px.Y), what: "the darkest token");
        FigureInspection.AssertDeterministic(() => TokenShading.CreateFigure(tokens, counts, 8, "tokens"));
    }
}
