using SteerMoE.Research.Plots.Axes;
using SteerMoE.Research.Plots.Colors;
using SteerMoE.Research.Plots.Plottables;
using SteerMoE.Research.Plots.Svg;
using SteerMoE.Research.Plots.Text;

namespace SteerMoE.Research.Plots.Tests;

public class FigureLayerTests
{
    [Fact]
    public void NumbersAreInvariantWithTwoDecimalsAndNoNegativeZero()
    {
        Assert.Equal("12.35", SvgFormat.Number(12.345));
        Assert.Equal("3", SvgFormat.Number(3.0));
        Assert.Equal("0", SvgFormat.Number(-0.001));
        Assert.Equal("−0.25", SvgFormat.Label(-0.25, 2));
        Assert.Equal("nan", SvgFormat.DataValue(double.NaN));
        Assert.Equal("&lt;b&gt; &amp; &quot;x&quot;", SvgFormat.Escape("<b> & \"x\""));
        Assert.Throws<ArgumentException>(() => SvgFormat.Number(double.NaN));
    }

    [Fact]
    public void TextWidthsComeFromTheDejaVuSansTable()
    {
        Assert.Equal(6.36, FontMetrics.Width("0", 10), 6);          // digits are 636/1000 em
        Assert.Equal((684 + 613) / 100.0, FontMetrics.Width("Aa", 10), 6);
        Assert.True(FontMetrics.Width("W", 10, bold: true) > FontMetrics.Width("W", 10));
        string fitted = FontMetrics.Fit("FaithEval counterfactual", 11, 60);
        Assert.EndsWith("…", fitted);
        Assert.True(FontMetrics.Width(fitted, 11) <= 60);
    }

    [Fact]
    public void LinearTicksAreNiceNumbersInsideTheLimits()
    {
        var figure = new Figure(400, 300);
        figure.Add.Scatter([0.0, 1.0], [0.0, 1.0]);
        figure.Panel.X.Padding = 0;
        figure.ToSvg();
        var ticks = figure.Panel.X.Ticks(300, 11);
        Assert.Equal(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"], ticks.Select(t => t.Label));
    }

    [Fact]
    public void TickLabelsNeverOverlapOnAShortAxis()
    {
        var figure = new Figure(400, 300);
        figure.Add.Scatter([0.0, 1234567.0], [0.0, 1.0]);
        figure.ToSvg();
        var axis = figure.Panel.X;
        var ticks = axis.Ticks(120, 11);
        Assert.True(ticks.Count >= 2);
        for (int i = 1; i < ticks.Count; i++)
        {
            double gap = axis.ToPixel(ticks[i].Value, 0, 120) - axis.ToPixel(ticks[i - 1].Value, 0, 120);
            double half = (FontMetrics.Width(ticks[i].Label, 11) + FontMetrics.Width(ticks[i - 1].Label, 11)) / 2;
            Assert.True(gap > half, $"ticks {ticks[i - 1].Label} and {ticks[i].Label} overlap: {gap} px apart, labels need {half}");
        }
    }

    [Fact]
    public void LogTicksAreDecades()
    {
        var figure = new Figure(400, 300);
        figure.Add.Scatter([1.0, 10000.0], [1.0, 2.0]);
        figure.Panel.X.IsLog = true;
        figure.Panel.X.Padding = 0;
        figure.ToSvg();
        Assert.Equal(["1", "10", "100", "1000", "10000"], figure.Panel.X.Ticks(400, 11).Select(t => t.Label));
    }

    [Fact]
    public void DivergingMapIsNeutralInTheMiddleAndClampsOutside()
    {
        var map = ColorMap.BlueWhiteRed;
        Assert.Equal("#f5f5f5", map.At(0.5).Hex);
        Assert.Equal("#1f4e99", map.At(-3).Hex);
        Assert.Equal("#a11a2b", map.At(1).Hex);
        Assert.Equal(new Rgb(255, 255, 255), new Rgb(0, 0, 0).ContrastingText);
    }

    [Fact]
    public void AddReturnsThePlottableAndOutputIsDeterministicWellFormedXml()
    {
        static string Draw()
        {
            var figure = new Figure(500, 360) { Title = "A & B <test>" };
            var line = figure.Add.Line([0.0, 1, 2], [1.0, 3, 2]);
            line.Label = "series \"one\"";
            line.WithBand([0.5, 2.5, 1.5], [1.5, 3.5, 2.5]);
            var bars = figure.Add.Bars([2.0, 1.0, 3.0]);
            bars.Label = "bars";
            Assert.IsType<LineSeries>(line);
            return figure.ToSvg();
        }
        string a = Draw(), b = Draw();
        Assert.Equal(a, b);
        var svg = new SvgInspection(a);
        Assert.Equal(3, svg.WithClass("line-point").Count);
        Assert.Single(svg.WithClass("band"));
        Assert.Equal(3, svg.WithClass("bar").Count);
        Assert.Contains(svg.WithClass("legend-label"), e => e.Value == "series \"one\"");
        svg.AssertUniqueIds();
    }

    [Fact]
    public void BarHeightsAreProportionalToTheirValues()
    {
        var figure = new Figure(500, 360);
        figure.Add.Bars([2.0, 1.0, 3.0, 0.0]);
        figure.Panel.Y.Min = 0;
        var bars = new SvgInspection(figure.ToSvg()).WithClass("bar");
        var heights = bars.Select(b => SvgInspection.Number(b, "height")).ToArray();
        var values = bars.Select(b => SvgInspection.DataValue(b, "data-value")).ToArray();
        Assert.Equal([2.0, 1.0, 3.0, 0.0], values);
        Assert.Equal(0, heights[3], 1);
        Assert.Equal(2.0, heights[0] / heights[1], 1);
        Assert.Equal(3.0, heights[2] / heights[1], 1);
    }

    [Fact]
    public void ScatterLeavesOutNonFinitePointsAndSaysSo()
    {
        var figure = new Figure(500, 360);
        figure.Add.Scatter([1.0, double.NaN, 3, double.PositiveInfinity], [1.0, 2, double.NaN, 4]);
        var svg = new SvgInspection(figure.ToSvg());
        Assert.Single(svg.WithClass("point"));
        Assert.Contains("3 points not drawn", string.Join(" ", figure.RenderNotes));
    }

    [Fact]
    public void FigureTooSmallOrMismatchedDataIsRefused()
    {
        Assert.Throws<ArgumentException>(() => new Figure(50, 50));
        var figure = new Figure();
        var e = Assert.Throws<ArgumentException>(() => figure.Add.Scatter([1.0, 2], [1.0]));
        Assert.Contains("2 x values but 1 y values", e.Message);
        Assert.Throws<ArgumentException>(() => figure.Panel.X.SetLimits(2, 1));
    }
}

public class PngRendererTests
{
    [Fact]
    public void PngIsWrittenWithRsvgConvertOrTheErrorSaysHowToInstallIt()
    {
        var figure = new Figure(200, 150);
        figure.Add.Bars([1.0, 2.0]);
        string path = Path.Combine(SteerMoE.Research.Tests.RepoPaths.TempDir("png"), "bars.png");
        if (PngRenderer.IsAvailable)
        {
            figure.SavePng(path);
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
            // IHDR width at zoom 2: 400 pixels, big-endian at offset 16.
            Assert.Equal(400, (bytes[16] << 24) | (bytes[17] << 16) | (bytes[18] << 8) | bytes[19]);
        }
        string? saved = Environment.GetEnvironmentVariable("PATH");
        try
        {
            Environment.SetEnvironmentVariable("PATH", "/nonexistent");
            var e = Assert.Throws<FileNotFoundException>(() => figure.SavePng(path + ".2.png"));
            Assert.Contains("rsvg-convert is not installed", e.Message);
            Assert.False(File.Exists(path + ".2.png"));
        }
        finally { Environment.SetEnvironmentVariable("PATH", saved); }
    }
}
