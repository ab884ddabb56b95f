using SteerMoE.Research.Plots.Colors;
using SteerMoE.Research.Plots.Layout;
using SteerMoE.Research.Plots.Plottables;

namespace SteerMoE.Research.Plots.Figures;

/// <summary>
/// Figure 3: one expert metric against another (risk difference vs log odds ratio, or any pair), one point
/// per (layer, expert), coloured on a log scale by a count size (e.g. min(a1, a2) + 1), with the marginal
/// distribution of each metric (histograms) on the top and right. Small counts in light colours at the
/// extremes of the log odds ratio show where it blows up while the risk difference stays small.
/// </summary>
public static class MetricScatter
{
    /// <summary>
    /// Builds the figure. <paramref name="x"/>, <paramref name="y"/> and <paramref name="size"/> hold one value
    /// per expert (same length). Non-finite metric values are left out and counted in the figure's note.
    /// </summary>
    public static Figure Create(IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<double> size,
        string xName, string yName, string sizeName, string title)
    {
        if (x.Count != y.Count || x.Count != size.Count)
            throw new ArgumentException($"{title}: {x.Count} x values, {y.Count} y values and {size.Count} sizes; expected one of each per expert.");
        if (x.Count == 0) throw new ArgumentException($"{title}: no experts to plot; expected at least one (layer, expert) row.");
        var figure = new Figure(560, 520) { Title = title };
        var main = figure.Panel;
        main.X.Label = xName; main.Y.Label = yName;
        main.Legend = LegendPlacement.None;
        var points = main.Add.Scatter(x, y);
        points.Radius = x.Count > 3000 ? 1.8 : 2.4;
        points.Opacity = 0.75;
        points.ColorBy(size, ColorMap.VioletYellow, log: true);
        foreach (var zero in new[] { main.Add.HorizontalLine(0), main.Add.VerticalLine(0) })
        {
            zero.Color = new Rgb(150, 150, 150);
            zero.IncludeInLimits = false; // drawn where 0 is in range, never widening the axes to reach it
        }

        var top = figure.Attach(main, PanelSide.Top, 70);
        top.Y.Min = 0; top.Y.Padding = 0.02; top.Grid = false;
        // Margins count the drawn points only, so that they line up with the scatter's axes.
        var drawn = Enumerable.Range(0, x.Count).Where(i => double.IsFinite(x[i]) && double.IsFinite(y[i])).ToList();
        AddHistogram(top, drawn.Select(i => x[i]).ToList(), horizontal: false);
        var right = figure.Attach(main, PanelSide.Right, 70);
        right.X.Min = 0; right.X.Padding = 0.02; right.Grid = false;
        AddHistogram(right, drawn.Select(i => y[i]).ToList(), horizontal: true);
        right.AddColorBar(points, sizeName);
        // Points left out (non-finite metric) are counted in the figure's second note line when it renders.
        figure.Note = $"{x.Count} experts; margins: histograms of each metric";
        return figure;
    }

    /// <summary>Histogram bins of the finite values: (bin centre, count) with a common bin width.</summary>
    public static (double[] Centres, int[] Counts, double Width) Histogram(IReadOnlyList<double> values, int maxBins = 40)
    {
        var v = values.Where(double.IsFinite).ToArray();
        if (v.Length == 0) return ([], [], 1);
        double lo = v.Min(), hi = v.Max();
        int bins = Math.Clamp((int)Math.Ceiling(Math.Sqrt(v.Length)), 1, maxBins);
        if (hi == lo) return ([lo], [v.Length], Math.Max(Math.Abs(lo) * 0.1, 1e-3));
        double width = (hi - lo) / bins;
        var counts = new int[bins];
        foreach (double a in v) counts[Math.Min(bins - 1, (int)((a - lo) / width))]++;
        return (Enumerable.Range(0, bins).Select(i => lo + (i + 0.5) * width).ToArray(), counts, width);
    }

    private static void AddHistogram(Panel panel, IReadOnlyList<double> values, bool horizontal)
    {
        var (centres, counts, width) = Histogram(values);
        var bars = panel.Add.Bars(centres.Select((c, i) => new Bar(c, counts[i])).ToList());
        bars.Width = width * 0.95; bars.Horizontal = horizontal; bars.Color = new Rgb(120, 120, 120);
        panel.Frame = false;
        // Marginals show shape only: the count axis carries no information the reader needs.
        panel.X.Visible = panel.Y.Visible = false;
    }
}
