using ScottPlot;
using SteerMoE.Research.Plots.Colors;
using Palette = SteerMoE.Research.Plots.Colors.Palette;
using SteerMoE.Research.Plots.Figures;
using static SteerMoE.Research.Plots.Tests.FigureInspection;

namespace SteerMoE.Research.Plots.Tests;

public class PaperFigureTests
{
    private static ExpertScoreGrid Grid(int layers, int experts, Func<int, int, double> value)
    {
        var v = new double[layers, experts];
        for (int l = 0; l < layers; l++) for (int e = 0; e < experts; e++) v[l, e] = value(l, e);
        return new ExpertScoreGrid($"{layers}x{experts}", v);
    }

    private static ExpertScoreGrid Random(int layers, int experts, int seed)
    {
        var random = new Random(seed);
        return Grid(layers, experts, (_, _) => random.NextDouble() - 0.5);
    }

    [Theory]
    [InlineData(32, 8)]    // Mixtral
    [InlineData(16, 64)]   // OLMoE
    [InlineData(48, 128)]  // Qwen3
    public void HeatmapCellsShowTheirScoreOnASymmetricScaleWithThePlanMarked(int layers, int experts)
    {
        var grid = Random(layers, experts, layers * experts);
        grid.Values[2, 3] = 0.7;
        var plan = new[] { new PlanCell(1, 2, true), new PlanCell(layers - 1, experts - 1, false), new PlanCell(0, 0, false) };
        var figure = RiskDifferenceHeatmap.Create(grid, plan);
        Gallery(figure, $"rd-heatmap.{layers}x{experts}");
        Assert.Same(grid.Values, figure.Heatmap.Intensities);
        Assert.Equal(-0.7, figure.Heatmap.ManualRange!.Value.Min, 12);
        Assert.Equal(0.7, figure.Heatmap.ManualRange!.Value.Max, 12);
        Assert.Same(figure.Heatmap, figure.ColorBar.Source);
        // Marks: one outline on the activated cell, dots on the two deactivated ones.
        var outline = Assert.Single(figure.ActivateMarks);
        Assert.Equal((1.5, 2.5, 0.5, 1.5), (outline.X1, outline.X2, outline.Y1, outline.Y2));
        var dots = figure.DeactivateMarks!.Data.GetScatterPoints().Select(p => (p.X, p.Y)).ToList();
        Assert.Equal([(experts - 1.0, layers - 1.0), (0.0, 0.0)], dots);
        Assert.Equal(2, figure.Legend.Count);

        // The rendered PNG: at cell centres away from the marks, the pixel is the map's colour of the score.
        using var bitmap = Decode(figure);
        Assert.Equal(ColorMap.BlueWhiteRed.At(1), figure.CellColor(2, 3));
        var random = new Random(7);
        var cells = new List<(int, int)> { (2, 3), (layers - 1, 0), (0, experts - 1) };
        for (int i = 0; i < 20; i++) cells.Add((random.Next(layers), random.Next(experts)));
        foreach (var (l, e) in cells.Where(c => !plan.Any(p => (p.Layer, p.Expert) == c)))
        {
            var centre = figure.CellCentre(l, e);
            AssertClose(figure.CellColor(l, e), At(bitmap, centre.X, centre.Y), what: $"layer {l}, expert {e}");
        }
        // Layer 0 is the top row, expert 0 the left column, and every cell lies inside the figure.
        Assert.True(figure.CellCentre(0, 0).Y < figure.CellCentre(layers - 1, 0).Y);
        Assert.True(figure.CellCentre(0, 0).X < figure.CellCentre(0, experts - 1).X);
        var last = figure.CellCentre(layers - 1, experts - 1);
        Assert.InRange(last.X, 0, figure.Width); Assert.InRange(last.Y, 0, figure.Height);
        // The deactivated cell's centre is the black dot.
        var dot = figure.CellCentre(0, 0);
        Assert.True(At(bitmap, dot.X, dot.Y).Luminance < 0.05, "expected the black dot at layer 0, expert 0");
    }

    [Fact]
    public void HeatmapRendersDeterministically() =>
        AssertDeterministic(() => RiskDifferenceHeatmap.Create(Random(16, 64, 3), [new PlanCell(3, 4, true), new PlanCell(5, 6, false)]));

    [Fact]
    public void HeatmapDrawsNaNScoresGreyAndCountsThem()
    {
        var grid = Grid(4, 8, (l, e) => (l + e) % 5 == 0 ? double.NaN : (l - e) / 20.0);
        var figure = RiskDifferenceHeatmap.Create(grid);
        Assert.Equal(RiskDifferenceHeatmap.NaNColor.ToColor(), figure.Heatmap.NaNCellColor);
        int nan = grid.Values.Cast<double>().Count(double.IsNaN);
        Assert.Contains($"{nan} cells without a score", figure.Note);
        using var bitmap = Decode(figure);
        for (int l = 0; l < 4; l++)
            for (int e = 0; e < 8; e++)
            {
                var c = figure.CellCentre(l, e);
                AssertClose(double.IsNaN(grid.Values[l, e]) ? RiskDifferenceHeatmap.NaNColor : figure.CellColor(l, e), At(bitmap, c.X, c.Y), what: $"layer {l}, expert {e}");
            }
        Assert.Null(figure.DeactivateMarks);
        Assert.Empty(figure.ActivateMarks);
        Assert.Empty(figure.Legend);
    }

    [Fact]
    public void SingleLayerHeatmapIsOneRowWithOneLayerTick()
    {
        var figure = RiskDifferenceHeatmap.Create(Grid(1, 16, (_, e) => e - 7.5));
        figure.ToPng();
        Assert.Equal(["0"], figure.Panel.Axes.Left.TickGenerator.Ticks.Where(t => t.IsMajor).Select(t => t.Label));
        Assert.StartsWith("1 layer × 16 experts", figure.Note);
        Assert.Equal(16, figure.Heatmap.Intensities.GetLength(1));
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
        Gallery(figure, "top-experts-per-layer");
        Assert.Equal(2, figure.Panels.Count);
        Assert.Equal([16, 48], figure.PositiveBars.Select(p => p.Bars.Count));
        Assert.Equal([16, 48], figure.NegativeBars.Select(p => p.Bars.Count));
        Assert.Equal(a.TopRankedPerLayer(50, true).Select(v => (double)v), figure.PositiveBars[0].Bars.Select(x => x.Value));
        Assert.Equal(b.TopRankedPerLayer(50, true).Select(v => (double)v), figure.PositiveBars[1].Bars.Select(x => x.Value));
        Assert.Equal(a.TopRankedPerLayer(50, false).Select(v => (double)v), figure.NegativeBars[0].Bars.Select(x => x.Value));
        Assert.Equal(b.TopRankedPerLayer(50, false).Select(v => (double)v), figure.NegativeBars[1].Bars.Select(x => x.Value));
        Assert.All(figure.PositiveBars.Concat(figure.NegativeBars), p => Assert.Equal(50, p.Bars.Sum(x => x.Value)));
        // Layer l's bars sit around x = l, the first input left of the second.
        Assert.True(figure.PositiveBars[0].Bars[5].Position < 5 && figure.PositiveBars[1].Bars[5].Position > 5);
        Assert.Equal(["16x64", "48x128"], figure.Legend.Select(i => i.LabelText));
        // The tallest bar of the first panel is drawn in the first input's colour at its middle.
        using var bitmap = Decode(figure);
        var panel = figure.Panels[0];
        var tallest = figure.PositiveBars[0].Bars.MaxBy(x => x.Value)!;
        var px = panel.GetPixel(new Coordinates(tallest.Position, tallest.Value / 2));
        AssertClose(Palette.Series(0), At(bitmap, px.X, px.Y), what: "tallest bar");
    }

    [Fact]
    public void TopExpertsRendersDeterministically() =>
        AssertDeterministic(() => TopExpertsPerLayer.Create([Random(16, 64, 1), Random(24, 32, 2)], 20));

    [Fact]
    public void ScatterHasOnePointPerFiniteExpertColouredByLogSizeAndHistogramsOfBoth()
    {
        var x = new[] { 0.1, -0.2, 0.3, double.NaN, 0.05, 0.0 };
        var y = new[] { 1.0, -2.0, 3.0, 1.0, double.PositiveInfinity, 0.0 };
        var size = new[] { 1.0, 10, 1000, 1000, 5, 1 };
        var figure = MetricScatter.Create(x, y, size, "risk_diff", "log_odds_ratio", "min(a1, a2) + 1", "t");
        Assert.Equal(2, figure.LeftOut);
        Assert.Contains("2 points not drawn", figure.Note);
        Assert.Equal(4, figure.PointSets.Sum(s => s.Data.GetScatterPoints().Count));
        Assert.Equal(new[] { (0.1, 1.0), (-0.2, -2.0), (0.3, 3.0), (0.0, 0.0) }.Order(),
            figure.PointSets.SelectMany(s => s.Data.GetScatterPoints()).Select(p => (p.X, p.Y)).Order());
        // Log colour scale over 1..1000: size 1 at the dark end, 1000 at the bright end, 10 a third of the way.
        Assert.Equal((0.0, 3.0), (figure.ColorScale.GetRange().Min, figure.ColorScale.GetRange().Max));
        var colours = figure.Points.DistinctBy(p => p.Size).ToDictionary(p => p.Size, p => p.Color);
        Assert.Equal(ColorMap.VioletYellow.At(0.5 / MetricScatter.ColorSteps), colours[1]);
        Assert.Equal(ColorMap.VioletYellow.At((MetricScatter.ColorSteps - 0.5) / MetricScatter.ColorSteps), colours[1000]);
        Assert.Equal(ColorMap.VioletYellow.At((MetricScatter.ColorSteps / 3 + 0.5) / MetricScatter.ColorSteps), colours[10]);
        // Histograms: the drawn points, once in each margin.
        Assert.Equal(4, figure.TopHistogram.Bars.Sum(b => b.Value));
        Assert.Equal(4, figure.RightHistogram.Bars.Sum(b => b.Value));
        Assert.All(figure.RightHistogram.Bars, b => Assert.Equal(Orientation.Horizontal, b.Orientation));
        // The margins line up with the scatter's data area.
        figure.ToPng();
        var main = figure.Main.LastRender.DataRect;
        Assert.Equal(main.Left, figure.Panels[1].LastRender.DataRect.Left, 1);
        Assert.Equal(main.Right, figure.Panels[1].LastRender.DataRect.Right, 1);
        Assert.Equal(main.Top, figure.Panels[2].LastRender.DataRect.Top, 1);
        Assert.Equal(main.Bottom, figure.Panels[2].LastRender.DataRect.Bottom, 1);
        Assert.Throws<ArgumentException>(() => MetricScatter.Create(x, y, [1.0], "a", "b", "c", "t"));
        Assert.Throws<ArgumentException>(() => MetricScatter.Create([], [], [], "a", "b", "c", "t"));
        Assert.Contains("expert 1 has size 0", Assert.Throws<ArgumentException>(() => MetricScatter.Create([1.0, 2], [1.0, 2], [1.0, 0], "a", "b", "c", "t")).Message);
    }

    [Fact]
    public void ScatterOfAQwenSizedModelDrawsEveryExpertAndRendersDeterministically()
    {
        static MetricScatter Build()
        {
            var random = new Random(5);
            int n = 48 * 128;
            var x = Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray();
            var y = x.Select(v => v * 8 + (random.NextDouble() - 0.5) * 3).ToArray();
            var size = Enumerable.Range(0, n).Select(_ => Math.Pow(10, random.NextDouble() * 4)).ToArray();
            size[0] = 1; size[1] = 9000; // the colour scale spans 1..9000
            return MetricScatter.Create(x, y, size, "risk_diff", "log_odds_ratio", "min(a1, a2) + 1", "48 layers × 128 experts");
        }
        var figure = Build();
        Gallery(figure, "scatter.48x128");
        Assert.Equal(48 * 128, figure.PointSets.Sum(s => s.Data.GetScatterPoints().Count));
        figure.ToPng();
        Assert.Equal(["1", "10", "100", "1000"], figure.ColorBar.Axis.TickGenerator.Ticks.Where(t => t.IsMajor).Select(t => t.Label));
        AssertDeterministic(Build);
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

    private static List<AblationRecord> AblationRecords()
    {
        var records = new List<AblationRecord>();
        foreach (var dir in new[] { "activate", "deactivate" })
            foreach (int n in new[] { 0, 10, 20 })
                for (int seed = 0; seed < 3; seed++)
                    records.Add(new AblationRecord(dir, n, seed, n / 100.0 + seed * 0.01 * (dir == "activate" ? 1 : -1), 0.9 - n / 200.0 - seed * 0.02));
        return records;
    }

    [Fact]
    public void AblationCurvesAverageSeedsShadeTheirRangeAndDrawControls()
    {
        var records = AblationRecords();
        var summary = AblationCurves.Summarise(records.Where(r => r.Direction == "activate"), r => r.Metric);
        Assert.Equal([0, 10, 20], summary.Select(s => s.X));
        Assert.Equal(0.11, summary[1].Mean, 12);
        Assert.Equal(0.10, summary[1].Low, 12);
        Assert.Equal(0.12, summary[1].High, 12);
        Assert.Equal(3, summary[1].Seeds);
        var figure = AblationCurves.Create(records, [new ControlLevel("unsteered", 0.05, 0.9), new ControlLevel("random", double.NaN, 0.85)]);
        Gallery(figure, "ablation-curves");
        Assert.Equal(4, figure.Curves.Count); // two panels × two directions
        foreach (var curve in figure.Curves)
        {
            var expected = AblationCurves.Summarise(records.Where(r => r.Direction == curve.Direction), curve.Measure == "metric" ? r => r.Metric : r => r.Fluency);
            Assert.Equal(expected, curve.Points);
            Assert.Equal(expected.Select(s => ((double)s.X, s.Mean)), curve.Line.Data.GetScatterPoints().Select(p => (p.X, p.Y)));
            Assert.NotNull(curve.Band);
            Assert.All(curve.Points, p => Assert.True(p.Low < p.Mean && p.Mean < p.High));
        }
        Assert.Equal([("unsteered", "metric", 0.05), ("unsteered", "fluency", 0.9), ("random", "fluency", 0.85)],
            figure.Controls.Select(c => (c.Label, c.Measure, c.Line.Y)));   // the NaN control is left out of the metric panel
        Assert.Equal(["activate", "deactivate", "unsteered", "random"], figure.Legend.Select(i => i.LabelText));
        // Inside the band (between the mean and the top of the range) the pixel is the band's tint, not the white background.
        using var bitmap = Decode(figure);
        var band = figure.Curves[0];
        var panel = figure.Panels[0];
        var p = band.Points[1];
        var inside = panel.GetPixel(new Coordinates(p.X + 1, (p.Mean + p.High) / 2 + (band.Points[2].High - p.High) / 10));
        var tint = At(bitmap, inside.X, inside.Y);
        Assert.True(tint != new Rgb(255, 255, 255) && tint.B > tint.R, $"expected the blue band's tint, got {tint}");
        Assert.Throws<ArgumentException>(() => AblationCurves.Create([], []));
    }

    [Fact]
    public void AblationCurvesRenderDeterministically() =>
        AssertDeterministic(() => AblationCurves.Create(AblationRecords(), [new ControlLevel("unsteered", 0.05, 0.9)]));

    private static List<BenchmarkScore> Scores() =>
    [
        new("OLMoE", "SQuAD", 0.4, 0.6), new("OLMoE", "FaithEval counterfactual", 0.5, 0.7),
        new("Qwen3", "SQuAD", 0.55, 0.65),
    ];

    [Fact]
    public void BeforeAfterBarsShowBothValuesPerBenchmarkAndModel()
    {
        var figure = BeforeAfterBars.Create(Scores());
        Gallery(figure, "before-after-bars");
        Assert.Equal(2, figure.Panels.Count);
        Assert.Equal(["OLMoE", "Qwen3"], figure.Models.Select(m => m.Model));
        Assert.Equal([0.4, 0.5], figure.Models[0].Before.Bars.Select(b => b.Value));
        Assert.Equal([0.6, 0.7], figure.Models[0].After.Bars.Select(b => b.Value));
        Assert.Equal([0.55], figure.Models[1].Before.Bars.Select(b => b.Value));
        Assert.Equal([0.65], figure.Models[1].After.Bars.Select(b => b.Value));
        Assert.Equal(["0.4", "0.5"], figure.Models[0].Before.Bars.Select(b => b.Label));
        Assert.Equal([-0.2, 0.8], figure.Models[0].Before.Bars.Select(b => b.Position));
        Assert.Equal(["off the shelf", "steered"], figure.Legend.Select(i => i.LabelText));
        using var bitmap = Decode(figure);
        var after = figure.Models[0].After.Bars[1];
        var px = figure.Models[0].Panel.GetPixel(new Coordinates(after.Position, after.Value / 2));
        AssertClose(Palette.Series(0), At(bitmap, px.X, px.Y), what: "the steered bar");
        Assert.Throws<ArgumentException>(() => BeforeAfterBars.Create([]));
    }

    [Fact]
    public void BeforeAfterBarsRenderDeterministically() => AssertDeterministic(() => BeforeAfterBars.Create(Scores()));
}
