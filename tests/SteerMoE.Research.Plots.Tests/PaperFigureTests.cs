using SteerMoE.Research.Plots.Figures;

namespace SteerMoE.Research.Plots.Tests;

public class PaperFigureTests
{
    private static ExpertScoreGrid Grid(int layers, int experts, Func<int, int, double> value)
    {
        var v = new double[layers, experts];
        for (int l = 0; l < layers; l++) for (int e = 0; e < experts; e++) v[l, e] = value(l, e);
        return new ExpertScoreGrid($"{layers}x{experts}", v);
    }

    [Theory]
    [InlineData(32, 8)]    // Mixtral
    [InlineData(16, 64)]   // OLMoE
    [InlineData(48, 128)]  // Qwen3
    public void HeatmapHasOneCellPerExpertWithItsValueAndASymmetricScale(int layers, int experts)
    {
        var grid = Grid(layers, experts, (l, e) => Math.Sin(l * 7 + e) * 0.3 + (l == 2 && e == 3 ? 0.5 : 0));
        var plan = new[] { new PlanCell(1, 2, true), new PlanCell(layers - 1, experts - 1, false), new PlanCell(0, 0, false) };
        var figure = RiskDifferenceHeatmap.Create(grid, plan);
        var svg = new SvgInspection(figure.ToSvg());
        var cells = svg.WithClass("cell");
        Assert.Equal(layers * experts, cells.Count);
        foreach (var c in cells.Where((_, i) => i % 97 == 0))
        {
            int l = (int)SvgInspection.Number(c, "data-row"), e = (int)SvgInspection.Number(c, "data-col");
            Assert.Equal(grid.Values[l, e], SvgInspection.DataValue(c, "data-value"), 1e-5); // six significant digits
        }
        var map = figure.Panel.Plottables.OfType<Plottables.Heatmap>().Single();
        double max = grid.Values.Cast<double>().Max(Math.Abs);
        Assert.Equal(-max, map.Min, 12);
        Assert.Equal(max, map.Max, 12);
        Assert.Single(svg.WithClass("activate"), e => e.Name.LocalName != "g");
        Assert.Equal(2, svg.WithClass("deactivate").Count(e => e.Name.LocalName != "g"));
        Assert.Single(svg.WithClass("colorbar"), e => e.Name.LocalName == "rect");
        svg.AssertUniqueIds();
        // Nothing is drawn outside the figure.
        foreach (var r in svg.WithClass("cell"))
        {
            Assert.InRange(SvgInspection.Number(r, "x"), 0, figure.Width);
            Assert.InRange(SvgInspection.Number(r, "y") + SvgInspection.Number(r, "height"), 0, figure.Height);
        }
    }

    [Fact]
    public void HeatmapDrawsNaNScoresGreyAndCountsThem()
    {
        var grid = Grid(4, 8, (l, e) => (l + e) % 5 == 0 ? double.NaN : (l - e) / 20.0);
        var figure = RiskDifferenceHeatmap.Create(grid);
        var svg = new SvgInspection(figure.ToSvg());
        Assert.Equal(32, svg.WithClass("cell").Count);
        int nan = grid.Values.Cast<double>().Count(double.IsNaN);
        Assert.Equal(nan, svg.WithClass("nan").Count);
        Assert.All(svg.WithClass("nan"), c => Assert.Equal("#d9d9d9", (string)c.Attribute("fill")!));
        Assert.Contains($"{nan} cells without a score", figure.Note);
    }

    [Fact]
    public void SingleLayerHeatmapIsOneRowWithOneLayerTick()
    {
        var figure = RiskDifferenceHeatmap.Create(Grid(1, 16, (_, e) => e - 7.5));
        var svg = new SvgInspection(figure.ToSvg());
        Assert.Equal(16, svg.WithClass("cell").Count);
        Assert.Equal(["0"], svg.WithClass("tick-label").Where(t => ((string)t.Attribute("class")!).EndsWith(" y")).Select(t => t.Value));
        Assert.StartsWith("1 layer × 16 experts", figure.Note);
    }

    [Fact]
    public void EmptyTablesAndPlansOutsideTheModelAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => ExpertScoreGrid.FromRows("empty.csv", []));
        Assert.Contains("empty.csv: the table has no rows", e.Message);
        Assert.Throws<ArgumentException>(() => new ExpertScoreGrid("x", new double[0, 8]));
        var p = Assert.Throws<ArgumentException>(() => RiskDifferenceHeatmap.Create(Grid(4, 8, (_, _) => 0), [new PlanCell(9, 1, true)]));
        Assert.Contains("layer 9, expert 1", p.Message);
        Assert.Contains("layers 0..3", p.Message);
        var d = Assert.Throws<ArgumentException>(() => ExpertScoreGrid.FromRows("t", [(0, 1, 0.1), (0, 1, 0.2)]));
        Assert.Contains("layer 0, expert 1 appears twice", d.Message);
    }

    [Fact]
    public void TopRankedPerLayerCountsTheHighestScoresWithTiesByLayer()
    {
        // layer 0: 0.9, 0.1, -0.5 | layer 1: 0.9, 0.3, NaN | layer 2: -0.2, 0.0, 0.3
        var grid = ExpertScoreGrid.FromRows("t", [
            (0, 0, 0.9), (0, 1, 0.1), (0, 2, -0.5),
            (1, 0, 0.9), (1, 1, 0.3), (1, 2, double.NaN),
            (2, 0, -0.2), (2, 1, 0.0), (2, 2, 0.3)]);
        Assert.Equal([1, 2, 0], grid.TopRankedPerLayer(3, positive: true));   // 0.9 (L0), 0.9 (L1), 0.3 (L1 before L2)
        Assert.Equal([1, 2, 1], grid.TopRankedPerLayer(4, positive: true));   // + 0.3 (L2)
        Assert.Equal([2, 2, 1], grid.TopRankedPerLayer(100, positive: true)); // only scores > 0 rank
        Assert.Equal([1, 0, 1], grid.TopRankedPerLayer(5, positive: false));
        Assert.Throws<ArgumentException>(() => grid.TopRankedPerLayer(0, true));
    }

    [Fact]
    public void TopExpertsFigureHasOneBarPerInputAndLayerWithTheCounts()
    {
        var a = Grid(16, 64, (l, e) => Math.Cos(l * 64 + e * 1.3));
        var b = Grid(48, 128, (l, e) => Math.Sin(l * 13 + e * 0.7));
        var figure = TopExpertsPerLayer.Create([a, b], 50);
        var svg = new SvgInspection(figure.ToSvg());
        var bars = svg.WithClass("bar");
        Assert.Equal(2 * (16 + 48), bars.Count);
        var expected = a.TopRankedPerLayer(50, true).Concat(b.TopRankedPerLayer(50, true))
            .Concat(a.TopRankedPerLayer(50, false)).Concat(b.TopRankedPerLayer(50, false)).Select(v => (double)v);
        Assert.Equal(expected, bars.Select(x => SvgInspection.DataValue(x, "data-value")));
        Assert.Equal(2, svg.WithClass("legend-label").Count);
    }

    [Fact]
    public void ScatterHasOnePointPerFiniteExpertAndHistogramsOfBoth()
    {
        var x = new[] { 0.1, -0.2, 0.3, double.NaN, 0.05, 0.0 };
        var y = new[] { 1.0, -2.0, 3.0, 1.0, double.PositiveInfinity, 0.0 };
        var size = new[] { 1.0, 10, 100, 1000, 5, 1 };
        var figure = MetricScatter.Create(x, y, size, "risk_diff", "log_odds_ratio", "min(a1, a2) + 1", "t");
        var svg = new SvgInspection(figure.ToSvg());
        var points = svg.WithClass("point");
        Assert.Equal(4, points.Count);
        Assert.Equal(new[] { 0.1, -0.2, 0.3, 0.0 }.Order(), points.Select(p => SvgInspection.DataValue(p, "data-x")).Order());
        // Histogram bars: the drawn points, once in each margin.
        Assert.Equal(8, svg.WithClass("bar").Sum(b => SvgInspection.DataValue(b, "data-value")));
        Assert.Contains("2 points not drawn", string.Join(" ", figure.RenderNotes));
        Assert.Throws<ArgumentException>(() => MetricScatter.Create(x, y, [1.0], "a", "b", "c", "t"));
        Assert.Throws<ArgumentException>(() => MetricScatter.Create([], [], [], "a", "b", "c", "t"));
    }

    [Fact]
    public void HistogramBinsCoverTheFiniteValues()
    {
        var (centres, counts, width) = MetricScatter.Histogram([0.0, 1, 2, 3, double.NaN]);
        Assert.Equal([2, 2], counts);          // ceil(sqrt(4)) = 2 bins of width 1.5
        Assert.Equal(1.5, width, 12);
        Assert.Equal([0.75, 2.25], centres);
        var single = MetricScatter.Histogram([5.0, 5.0]);
        Assert.Equal([2], single.Counts);
    }

    [Fact]
    public void AblationCurvesAverageSeedsAndDrawControls()
    {
        var records = new List<AblationRecord>();
        foreach (var dir in new[] { "activate", "deactivate" })
            foreach (int n in new[] { 0, 10, 20 })
                for (int seed = 0; seed < 3; seed++)
                    records.Add(new AblationRecord(dir, n, seed, n / 100.0 + seed * 0.01 * (dir == "activate" ? 1 : -1), 0.9 - n / 200.0));
        var summary = AblationCurves.Summarise(records.Where(r => r.Direction == "activate"), r => r.Metric);
        Assert.Equal([0, 10, 20], summary.Select(s => s.X));
        Assert.Equal(0.11, summary[1].Mean, 12);
        Assert.Equal(0.10, summary[1].Low, 12);
        Assert.Equal(0.12, summary[1].High, 12);
        Assert.Equal(3, summary[1].Seeds);
        var figure = AblationCurves.Create(records, [new ControlLevel("unsteered", 0.05, 0.9), new ControlLevel("random", double.NaN, 0.85)]);
        var svg = new SvgInspection(figure.ToSvg());
        Assert.Equal(2 * 2 * 3, svg.WithClass("line-point").Count);
        Assert.Equal(4, svg.WithClass("band").Count);
        Assert.Equal(3, svg.WithClass("refline").Count);     // the NaN control is left out of the metric panel
        Assert.Equal(4, svg.WithClass("legend-label").Count); // one shared legend: two directions, two controls
        Assert.Throws<ArgumentException>(() => AblationCurves.Create([], []));
    }

    [Fact]
    public void BeforeAfterBarsShowBothValuesPerBenchmarkAndModel()
    {
        var scores = new List<BenchmarkScore>
        {
            new("OLMoE", "SQuAD", 0.4, 0.6), new("OLMoE", "FaithEval counterfactual", 0.5, 0.7),
            new("Qwen3", "SQuAD", 0.55, 0.65),
        };
        var figure = BeforeAfterBars.Create(scores);
        var svg = new SvgInspection(figure.ToSvg());
        var bars = svg.WithClass("bar");
        Assert.Equal(6, bars.Count);
        Assert.Equal(new[] { 0.4, 0.5, 0.6, 0.7, 0.55, 0.65 }, bars.Select(b => SvgInspection.DataValue(b, "data-value")));
        Assert.Equal(2, figure.Panels.Count);
        Assert.Equal(2, svg.WithClass("legend-label").Count);
        Assert.Throws<ArgumentException>(() => BeforeAfterBars.Create([]));
    }
}
