using System.Globalization;
using ScottPlot;
using ScottPlot.Plottables;
using ScottPlot.TickGenerators;
using SteerMoE.Research.Plots.Colors;
using Palette = SteerMoE.Research.Plots.Colors.Palette;

namespace SteerMoE.Research.Plots.Figures;

/// <summary>One benchmark score of one model, off the shelf (before) and steered (after).</summary>
public readonly record struct BenchmarkScore(string Model, string Benchmark, double Before, double After);

/// <summary>
/// Figure 5: per model (one panel each, up to three a row), benchmark scores before and after steering as
/// paired bars with their values (two decimals) written above them.
/// </summary>
public sealed class BeforeAfterBars : Figure
{
    private BeforeAfterBars(int width, int height) : base(width, height) { }

    /// <summary>Per model (first-seen order): its panel, its before bars and its after bars (one per benchmark, benchmark i at x = i ∓ 0.2).</summary>
    public IReadOnlyList<(string Model, Plot Panel, BarPlot Before, BarPlot After)> Models { get; private set; } = [];

    /// <summary>Builds the figure; benchmarks keep their first-seen order, models too.</summary>
    public static BeforeAfterBars Create(IReadOnlyList<BenchmarkScore> scores, string title = "Benchmarks before and after steering",
        string beforeName = "off the shelf", string afterName = "steered", string scoreName = "score")
    {
        if (scores.Count == 0) throw new ArgumentException($"{title}: no benchmark scores; expected at least one (model, benchmark, before, after).");
        var models = scores.Select(s => s.Model).Distinct().ToList();
        // Panels need room for their benchmarks: fewer columns when a model has many.
        int most = scores.GroupBy(s => s.Model).Max(g => g.Select(s => s.Benchmark).Distinct().Count());
        int columns = Math.Min(models.Count, most > 6 ? 1 : most > 3 ? 2 : 3), rows = (models.Count + columns - 1) / columns;
        var figure = new BeforeAfterBars(672, 80 + rows * 290) { Title = title };
        var panels = figure.Grid(rows, columns, models.Count);
        var grey = new Color(160, 160, 160);
        var drawn = new List<(string, Plot, BarPlot, BarPlot)>();
        for (int m = 0; m < models.Count; m++)
        {
            var panel = panels[m];
            var mine = scores.Where(s => s.Model == models[m]).ToList();
            var benchmarks = mine.Select(s => s.Benchmark).Distinct().ToList();
            panel.Title(models[m]);
            if (m % columns == 0) panel.YLabel(scoreName);
            BarPlot Side(Func<BenchmarkScore, double> value, double offset, Color color) => panel.Add.Bars(mine.Select(s => new Bar
            {
                Position = benchmarks.IndexOf(s.Benchmark) + offset, Value = value(s), Size = 0.38, FillColor = color, LineWidth = 0,
                Label = value(s).ToString("0.##", CultureInfo.InvariantCulture),
            }).ToList());
            var before = Side(s => s.Before, -0.2, grey);
            var after = Side(s => s.After, 0.2, Palette.Series(0).ToColor());
            foreach (var b in new[] { before, after }) { b.ValueLabelStyle.FontSize = figure.FontSize - 1; b.ValueLabelStyle.FontName = FontName; }
            panel.Axes.Bottom.TickGenerator = new NumericManual(benchmarks.Select((_, i) => (double)i).ToArray(), benchmarks.ToArray());
            // Category labels wider than their slot are slanted, and the axis is given the room they take (ScottPlot
            // measures the labels level).
            using var paint = Paint.NewDisposablePaint();
            var tickStyle = new LabelStyle { FontName = FontName, FontSize = figure.FontSize };
            float widest = benchmarks.Max(b => tickStyle.Measure(b, paint).Width);
            float slot = (figure.Width - 80f) / columns / benchmarks.Count;
            if (widest > slot * 0.9f)
            {
                panel.Axes.Bottom.TickLabelStyle.Rotation = -35;
                panel.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
                panel.Axes.Bottom.MinimumSize = widest * MathF.Sin(35 * MathF.PI / 180) + figure.FontSize * 2 + 4;
                // The first label reaches left of its tick, past the y tick labels: widen the left margin to hold it.
                panel.Axes.Left.MinimumSize = Math.Max(48, widest * MathF.Cos(35 * MathF.PI / 180) - slot * 0.5f + 8);
            }
            double top = mine.SelectMany(s => new[] { s.Before, s.After }).Where(double.IsFinite).DefaultIfEmpty(1).Max();
            panel.Axes.SetLimits(-0.6, benchmarks.Count - 0.4, 0, (top > 0 ? top : 1) * 1.15);
            panel.Grid.XAxisStyle.MajorLineStyle.Width = 0;
            drawn.Add((models[m], panel, before, after));
        }
        figure.Legend.Add(new LegendItem { LabelText = beforeName, FillColor = grey, LineWidth = 0 });
        figure.Legend.Add(new LegendItem { LabelText = afterName, FillColor = Palette.Series(0).ToColor(), LineWidth = 0 });
        figure.Models = drawn;
        return figure;
    }
}
