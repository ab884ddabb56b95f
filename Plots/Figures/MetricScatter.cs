using System.Globalization;
using ScottPlot;
using ScottPlot.Plottables;
using ScottPlot.TickGenerators;
using SteerMoE.Research.Plots.Colors;

namespace SteerMoE.Research.Plots.Figures;

/// <summary>
/// Figure 3: one expert metric against another (risk difference vs log odds ratio, or any pair), one point
/// per (layer, expert), coloured on a log scale by a count size (e.g. min(a1, a2) + 1), with the marginal
/// distribution of each metric (histograms) on the top and right. Small counts in light colours at the
/// extremes of the log odds ratio show where it blows up while the risk difference stays small.
/// </summary>
public sealed class MetricScatter : Figure
{
    /// <summary>Points are drawn in this many colour steps of the size scale (one ScottPlot marker set per step).</summary>
    public const int ColorSteps = 64;

    private MetricScatter(int width, int height) : base(width, height) { }

    /// <summary>The scatter panel.</summary>
    public Plot Main => Panels[0];
    /// <summary>The histogram of x above the scatter.</summary>
    public BarPlot TopHistogram { get; private set; } = null!;
    /// <summary>The histogram of y right of the scatter (horizontal bars).</summary>
    public BarPlot RightHistogram { get; private set; } = null!;
    /// <summary>The marker sets, one per colour step used (ascending size); together they hold every drawn point.</summary>
    public IReadOnlyList<Markers> PointSets { get; private set; } = [];
    /// <summary>The drawn points (finite x and y) with their size and colour, in input order.</summary>
    public IReadOnlyList<(double X, double Y, double Size, Rgb Color)> Points { get; private set; } = [];
    /// <summary>How many inputs were left out for a non-finite x or y.</summary>
    public int LeftOut { get; private set; }
    /// <summary>The colour bar of the size (ticks at log10 of the sizes, labelled with the sizes).</summary>
    public ScottPlot.Panels.ColorBar ColorBar { get; private set; } = null!;
    /// <summary>The colour scale: log10 of the sizes, <see cref="ColorMap.VioletYellow"/>.</summary>
    public IHasColorAxis ColorScale { get; private set; } = null!;

    /// <summary>
    /// Builds the figure. <paramref name="x"/>, <paramref name="y"/> and <paramref name="size"/> hold one value
    /// per expert (same length; sizes &gt; 0). Non-finite metric values are left out and counted in the note.
    /// </summary>
    public static MetricScatter Create(IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<double> size,
        string xName, string yName, string sizeName, string title)
    {
        if (x.Count != y.Count || x.Count != size.Count)
            throw new ArgumentException($"{title}: {x.Count} x values, {y.Count} y values and {size.Count} sizes; expected one of each per expert.");
        if (x.Count == 0) throw new ArgumentException($"{title}: no experts to plot; expected at least one (layer, expert) row.");
        for (int i = 0; i < size.Count; i++)
            if (!(size[i] > 0 && double.IsFinite(size[i])))
                throw new ArgumentException($"{title}: expert {i} has size {size[i]}; expected a finite size > 0 (the colour scale is logarithmic).");
        var drawn = Enumerable.Range(0, x.Count).Where(i => double.IsFinite(x[i]) && double.IsFinite(y[i])).ToList();
        int leftOut = x.Count - drawn.Count;
        var figure = new MetricScatter(560, 540)
        {
            Title = title, LeftOut = leftOut,
            Note = $"{x.Count} experts; margins: histograms of each metric"
                + (leftOut > 0 ? $"; {leftOut} point{(leftOut == 1 ? "" : "s")} not drawn (non-finite {xName} or {yName})" : ""),
        };
        var main = figure.Grid(1, 1)[0];
        main.XLabel(xName); main.YLabel(yName);

        double logLo = Math.Log10(size.Min()), logHi = Math.Log10(size.Max());
        if (logHi - logLo < 1e-9) logHi = logLo + 1;
        var scale = new LogScale(ColorMap.VioletYellow, logLo, logHi);
        figure.ColorScale = scale;
        var points = drawn.Select(i =>
        {
            int step = Step(Math.Log10(size[i]), logLo, logHi);
            return (Index: i, Step: step, Color: ColorMap.VioletYellow.At((step + 0.5) / ColorSteps));
        }).ToList();
        figure.Points = points.Select(p => (x[p.Index], y[p.Index], size[p.Index], p.Color)).ToList();
        float radius = drawn.Count > 3000 ? 3.5f : 5f;
        // Larger sizes are drawn last (on top): the rare well-supported experts stay visible in a dense cloud.
        figure.PointSets = points.GroupBy(p => p.Step).OrderBy(g => g.Key).Select(g =>
        {
            var m = main.Add.Markers(g.Select(p => x[p.Index]).ToArray(), g.Select(p => y[p.Index]).ToArray(), MarkerShape.FilledCircle, radius, g.First().Color.ToColor().WithAlpha(0.8));
            return m;
        }).ToList();

        var (xLo, xHi) = Limits(drawn.Select(i => x[i]));
        var (yLo, yHi) = Limits(drawn.Select(i => y[i]));
        foreach (var zero in new AxisLine[] { main.Add.HorizontalLine(0), main.Add.VerticalLine(0) })
        {
            zero.Color = new Color(150, 150, 150); zero.LineWidth = 1;
        }
        main.Axes.SetLimits(xLo, xHi, yLo, yHi);

        var top = figure.Attach(main, Edge.Top, 70);
        figure.TopHistogram = AddHistogram(top, drawn.Select(i => x[i]).ToList(), horizontal: false);
        top.Axes.SetLimitsX(xLo, xHi);
        var right = figure.Attach(main, Edge.Right, 70, reserve: 96);
        figure.RightHistogram = AddHistogram(right, drawn.Select(i => y[i]).ToList(), horizontal: true);
        right.Axes.SetLimitsY(yLo, yHi);
        var bar = right.Add.ColorBar(scale);
        bar.Label = sizeName;
        bar.LabelStyle.FontSize = figure.FontSize + 1;
        bar.Axis.TickLabelStyle.FontSize = figure.FontSize;
        bar.Axis.TickGenerator = LogTicks(logLo, logHi);
        figure.ColorBar = bar;
        return figure;
    }

    private static int Step(double log, double lo, double hi) => Math.Clamp((int)((log - lo) / (hi - lo) * ColorSteps), 0, ColorSteps - 1);

    private static (double Lo, double Hi) Limits(IEnumerable<double> values)
    {
        var v = values.ToArray();
        if (v.Length == 0) return (-1, 1);
        double lo = v.Min(), hi = v.Max();
        if (hi - lo < 1e-12) { double d = Math.Max(Math.Abs(lo) * 0.1, 1); return (lo - d, hi + d); }
        double pad = (hi - lo) * 0.05;
        return (lo - pad, hi + pad);
    }

    /// <summary>Ticks of a log10 colour axis labelled with the sizes themselves (1, 10, 100; 2 and 5 too over less than three decades).</summary>
    internal static NumericManual LogTicks(double lo, double hi)
    {
        var ticks = new NumericManual();
        bool fine = hi - lo < 3;
        for (int k = (int)Math.Floor(lo); k <= (int)Math.Ceiling(hi); k++)
            foreach (double m in fine ? new[] { 1.0, 2, 5 } : [1.0])
            {
                double v = Math.Log10(m) + k;
                if (v >= lo - 1e-9 && v <= hi + 1e-9) ticks.AddMajor(v, (m * Math.Pow(10, k)).ToString(k >= 5 ? "0e0" : "0.####", CultureInfo.InvariantCulture));
            }
        return ticks;
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

    private static BarPlot AddHistogram(Plot panel, IReadOnlyList<double> values, bool horizontal)
    {
        var (centres, counts, width) = Histogram(values);
        var grey = new Color(120, 120, 120);
        var bars = panel.Add.Bars(centres.Select((c, i) => new Bar { Position = c, Value = counts[i], Size = width * 0.95, FillColor = grey, LineWidth = 0 }).ToList());
        bars.Horizontal = horizontal;
        double most = counts.DefaultIfEmpty(1).Max() * 1.05;
        if (horizontal) panel.Axes.SetLimitsX(0, most); else panel.Axes.SetLimitsY(0, most);
        // Marginals show shape only: the count axis carries no information the reader needs.
        panel.Axes.Frameless();
        panel.HideGrid();
        return bars;
    }

    /// <summary>A colour axis over log10(size) for the colour bar.</summary>
    private sealed class LogScale(IColormap map, double lo, double hi) : IHasColorAxis
    {
        public IColormap Colormap { get; set; } = map;
        public ScottPlot.Range GetRange() => new(lo, hi);
    }
}
