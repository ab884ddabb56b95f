using SteerMoE.Research.Plots.Axes;
using SteerMoE.Research.Plots.Colors;
using SteerMoE.Research.Plots.Layout;
using SteerMoE.Research.Plots.Plottables;

namespace SteerMoE.Research.Plots.Figures;

/// <summary>One benchmark score of one model, off the shelf (before) and steered (after).</summary>
public readonly record struct BenchmarkScore(string Model, string Benchmark, double Before, double After);

/// <summary>
/// Figure 5: per model (one panel each, up to three a row), benchmark scores before and after steering as
/// paired bars with their values written above them when there is room.
/// </summary>
public static class BeforeAfterBars
{
    /// <summary>Builds the figure; benchmarks keep their first-seen order, models too.</summary>
    public static Figure Create(IReadOnlyList<BenchmarkScore> scores, string title = "Benchmarks before and after steering",
        string beforeName = "off the shelf", string afterName = "steered", string scoreName = "score")
    {
        if (scores.Count == 0) throw new ArgumentException($"{title}: no benchmark scores; expected at least one (model, benchmark, before, after).");
        var models = scores.Select(s => s.Model).Distinct().ToList();
        // Panels need room for their benchmarks: fewer columns when a model has many.
        int most = scores.GroupBy(s => s.Model).Max(g => g.Select(s => s.Benchmark).Distinct().Count());
        int columns = Math.Min(models.Count, most > 6 ? 1 : most > 3 ? 2 : 3), rows = (models.Count + columns - 1) / columns;
        var figure = new Figure(672, 70 + rows * 280) { Title = title };
        var panels = figure.Grid(rows, columns);
        for (int m = 0; m < models.Count; m++)
        {
            var panel = panels[m];
            var mine = scores.Where(s => s.Model == models[m]).ToList();
            var benchmarks = mine.Select(s => s.Benchmark).Distinct().ToList();
            panel.Title = models[m];
            panel.X.ManualTicks = benchmarks.Select((b, i) => new Tick(i, b)).ToList();
            panel.X.SetLimits(-0.6, benchmarks.Count - 0.4);
            panel.Y.Min = 0; panel.Y.Padding = 0.12; panel.Y.Label = m % columns == 0 ? scoreName : "";
            panel.Grid = true;
            panel.Legend = LegendPlacement.None;
            var before = panel.Add.Bars(mine.Select(s => new Bar(benchmarks.IndexOf(s.Benchmark) - 0.2, s.Before)).ToList());
            before.Label = beforeName; before.Color = new Rgb(160, 160, 160); before.Width = 0.38; before.ShowValues = true;
            var after = panel.Add.Bars(mine.Select(s => new Bar(benchmarks.IndexOf(s.Benchmark) + 0.2, s.After)).ToList());
            after.Label = afterName; after.Color = Palette.Series(0); after.Width = 0.38; after.ShowValues = true;
        }
        figure.SharedLegend = true;
        for (int i = models.Count; i < panels.Count; i++) { panels[i].X.Visible = panels[i].Y.Visible = false; panels[i].Frame = false; panels[i].Grid = false; }
        return figure;
    }
}
