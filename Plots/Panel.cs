using SteerMoE.Research.Plots.Axes;
using SteerMoE.Research.Plots.Colors;
using SteerMoE.Research.Plots.Layout;
using SteerMoE.Research.Plots.Plottables;
using SteerMoE.Research.Plots.Svg;
using SteerMoE.Research.Plots.Text;

namespace SteerMoE.Research.Plots;

/// <summary>
/// One set of axes in a figure: plottables added through <see cref="Add"/>, two axes, a title, a legend and
/// an optional colour bar. The panel lays itself out inside the rectangle the figure gives it: margins are
/// measured from its actual tick labels and titles, so nothing is clipped.
/// </summary>
public sealed class Panel
{
    private readonly List<Plottable> _plottables = [];

    internal Panel(int index)
    {
        Index = index;
        Add = new PanelAdder(this);
    }

    internal int Index { get; }
    /// <summary>Adds plottables; every call returns the object it added.</summary>
    public PanelAdder Add { get; }
    /// <summary>The horizontal axis.</summary>
    public Axis X { get; } = new(horizontal: true);
    /// <summary>The vertical axis.</summary>
    public Axis Y { get; } = new(horizontal: false);
    /// <summary>The panel title ("" for none).</summary>
    public string Title { get; set; } = "";
    /// <summary>Base font size in pixels (tick labels; titles are larger).</summary>
    public double FontSize { get; set; } = 11;
    /// <summary>Where the legend goes.</summary>
    public LegendPlacement Legend { get; set; } = LegendPlacement.InsideBest;
    /// <summary>Light grid lines at the ticks.</summary>
    public bool Grid { get; set; } = true;
    /// <summary>Draws a frame around the data area.</summary>
    public bool Frame { get; set; } = true;
    /// <summary>The plottables in drawing order.</summary>
    public IReadOnlyList<Plottable> Plottables => _plottables;
    /// <summary>The colour bar's scale and title (null: no colour bar).</summary>
    public (IColorScale Scale, string Label)? ColorBar { get; private set; }
    /// <summary>The data area from the last layout.</summary>
    public PixelRect DataArea { get; private set; }

    internal (Panel Main, PanelSide Side, double Size)? Attachment { get; set; }

    internal T Register<T>(T p) where T : Plottable { _plottables.Add(p); return p; }

    /// <summary>Shows <paramref name="scale"/> as a colour bar right of the data area, titled <paramref name="label"/>.</summary>
    public void AddColorBar(IColorScale scale, string label) => ColorBar = (scale, label);

    private double TitleSize => FontSize * 1.15;
    private double LabelSize => FontSize * 1.05;
    private const double ColorBarGap = 12, ColorBarWidth = 12, SwatchSize = 13;

    private IEnumerable<Plottable> InLegend => _plottables.Where(p => p.Label.Length > 0);

    internal void ResolveLimits()
    {
        static (double, double) Range(IEnumerable<double> values, bool log)
        {
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            foreach (double v in values)
                if (double.IsFinite(v) && (!log || v > 0)) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
            return (lo, hi);
        }
        var (x0, x1) = Range(_plottables.SelectMany(p => p.XExtent), X.IsLog);
        var (y0, y1) = Range(_plottables.SelectMany(p => p.YExtent), Y.IsLog);
        X.Resolve(x0, x1);
        Y.Resolve(y0, y1);
    }

    private double LegendWidth() => InLegend.Any() ? InLegend.Max(p => FontMetrics.Width(p.Label, FontSize)) + SwatchSize + 14 : 0;

    internal double ColorBarReserve()
    {
        if (ColorBar is not { } cb) return 0;
        var axis = ColorBarAxis(cb.Scale);
        axis.Resolve(cb.Scale.Min, cb.Scale.Max);
        double ticks = axis.Ticks(200, FontSize).Select(t => FontMetrics.Width(t.Label, FontSize)).DefaultIfEmpty(0).Max();
        return ColorBarGap + ColorBarWidth + 5 + ticks + (cb.Label.Length > 0 ? FontMetrics.LineHeight(LabelSize) + 6 : 0);
    }

    private static Axis ColorBarAxis(IColorScale s) => new(horizontal: false) { IsLog = s.IsLog, Padding = 0, Min = s.Min, Max = s.Max };

    /// <summary>Computes the data area inside <paramref name="outer"/> from the measured labels.</summary>
    internal void Layout(PixelRect outer)
    {
        double top = 4 + (Title.Length > 0 ? FontMetrics.LineHeight(TitleSize) + 4 : FontSize * 0.6);
        if (Legend == LegendPlacement.Top && InLegend.Any()) top += FontMetrics.LineHeight(FontSize) + 6;
        double bottom = 4;
        var estimate = X.Visible && X.ShowTickLabels ? X.Ticks(Math.Max(10, outer.Width - 60), FontSize) : [];
        double xTickBlock = X.Visible && X.ShowTickLabels ? TickBlockHeight(estimate) : 0;
        if (X.Visible)
        {
            bottom += 4 + xTickBlock;
            if (X.Label.Length > 0) bottom += FontMetrics.LineHeight(LabelSize) + 4;
        }
        double height = Math.Max(10, outer.Height - top - bottom);
        double left = 4;
        if (Y.Visible)
        {
            double tickWidth = Y.ShowTickLabels ? Y.Ticks(height, FontSize).Select(t => FontMetrics.Width(t.Label, FontSize)).DefaultIfEmpty(0).Max() + 8 : 0;
            left += tickWidth + 4 + (Y.Label.Length > 0 ? FontMetrics.LineHeight(LabelSize) + 4 : 0);
        }
        if (X.TickLabelAngle != 0 && estimate.Count > 0)
        {
            // The first slanted label reaches left of its tick: keep it inside the panel.
            double reach = FontMetrics.Width(estimate[0].Label, FontSize) * Math.Cos(X.TickLabelAngle * Math.PI / 180);
            double firstOffset = X.ToPixel(estimate[0].Value, 0, Math.Max(10, outer.Width - left - 6));
            left = Math.Max(left, reach - firstOffset + 4);
        }
        double right = 6 + ColorBarReserve();
        if (Legend == LegendPlacement.OutsideRight && InLegend.Any()) right += LegendWidth() + 8;
        // The last x tick label is centred on the right edge: leave half of it.
        if (X.Visible && X.ShowTickLabels)
        {
            var xt = X.Ticks(Math.Max(10, outer.Width - left - right), FontSize);
            if (xt.Count > 0) right = Math.Max(right, FontMetrics.Width(xt[^1].Label, FontSize) / 2 + 4);
        }
        DataArea = new PixelRect(outer.X + left, outer.Y + top, Math.Max(10, outer.Width - left - right), height);
    }

    internal void LayoutAttached(PixelRect data) => DataArea = data;

    // Height of the x tick labels: one line when level, the slanted extent otherwise.
    private double TickBlockHeight(IReadOnlyList<Tick> ticks)
    {
        if (X.TickLabelAngle == 0 || ticks.Count == 0) return FontMetrics.LineHeight(FontSize) + 2;
        double a = Math.Abs(X.TickLabelAngle) * Math.PI / 180;
        return ticks.Max(t => FontMetrics.Width(t.Label, FontSize)) * Math.Sin(a) + FontSize * Math.Cos(a) + 4;
    }

    internal void Render(SvgWriter svg, IList<string> notes, string idPrefix)
    {
        var d = DataArea;
        svg.OpenGroup($"class=\"panel\" id=\"{idPrefix}panel-{Index}\"");
        string clip = $"{idPrefix}clip-{Index}";
        svg.Raw($"<defs><clipPath id=\"{clip}\"><rect x=\"{SvgFormat.Number(d.X)}\" y=\"{SvgFormat.Number(d.Y)}\" width=\"{SvgFormat.Number(d.Width)}\" height=\"{SvgFormat.Number(d.Height)}\"/></clipPath></defs>\n");
        var xTicks = X.Visible ? X.Ticks(d.Width, FontSize) : [];
        var yTicks = Y.Visible ? Y.Ticks(d.Height, FontSize) : [];
        if (Grid)
        {
            svg.OpenGroup("class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"0.8\"");
            foreach (var t in xTicks) { double x = X.ToPixel(t.Value, d.X, d.Width); svg.Raw($"<line x1=\"{SvgFormat.Number(x)}\" y1=\"{SvgFormat.Number(d.Y)}\" x2=\"{SvgFormat.Number(x)}\" y2=\"{SvgFormat.Number(d.Bottom)}\"/>\n"); }
            foreach (var t in yTicks) { double y = Y.ToPixel(t.Value, d.Y, d.Height); svg.Raw($"<line x1=\"{SvgFormat.Number(d.X)}\" y1=\"{SvgFormat.Number(y)}\" x2=\"{SvgFormat.Number(d.Right)}\" y2=\"{SvgFormat.Number(y)}\"/>\n"); }
            svg.CloseGroup();
        }
        var context = new RenderContext(svg, d, X, Y, FontSize);
        svg.OpenGroup($"class=\"data\" clip-path=\"url(#{clip})\"");
        foreach (var p in _plottables) p.Render(context);
        svg.CloseGroup();
        foreach (var p in _plottables.OfType<Scatter>().Where(s => s.Skipped > 0))
            notes.Add($"{(Title.Length > 0 ? Title + ": " : "")}{p.Skipped} point{(p.Skipped == 1 ? "" : "s")} not drawn (non-finite or outside the axes)");
        if (Frame) svg.Rect(d.X, d.Y, d.Width, d.Height, "none", "stroke=\"#444444\" stroke-width=\"0.8\" class=\"frame\"");
        RenderAxes(svg, xTicks, yTicks);
        if (Title.Length > 0)
            svg.Text(d.X + d.Width / 2, d.Y - 6 - (Legend == LegendPlacement.Top && InLegend.Any() ? FontMetrics.LineHeight(FontSize) + 6 : 0),
                FontMetrics.Fit(Title, TitleSize, d.Width + 40, bold: true), TitleSize, "middle", bold: true, extra: "class=\"panel-title\"");
        RenderColorBar(svg, idPrefix);
        RenderLegend(svg, context);
        svg.CloseGroup();
    }

    private void RenderAxes(SvgWriter svg, IReadOnlyList<Tick> xTicks, IReadOnlyList<Tick> yTicks)
    {
        var d = DataArea;
        if (X.Visible)
        {
            foreach (var t in xTicks)
            {
                double x = X.ToPixel(t.Value, d.X, d.Width);
                svg.Line(x, d.Bottom, x, d.Bottom + 4, "#444444", 0.8);
                if (!X.ShowTickLabels) continue;
                if (X.TickLabelAngle == 0) svg.Text(x, d.Bottom + 4 + FontSize, t.Label, FontSize, "middle", extra: "class=\"tick-label x\"");
                else svg.Text(x + FontSize * 0.3, d.Bottom + 6 + FontSize * 0.5, t.Label, FontSize, "end", rotate: X.TickLabelAngle, extra: "class=\"tick-label x\"");
            }
            if (X.Label.Length > 0)
                svg.Text(d.X + d.Width / 2, d.Bottom + 4 + (X.ShowTickLabels ? TickBlockHeight(xTicks) : 0) + LabelSize + 2,
                    FontMetrics.Fit(X.Label, LabelSize, d.Width + 40), LabelSize, "middle", extra: "class=\"axis-label x\"");
        }
        if (Y.Visible)
        {
            double widest = 0;
            foreach (var t in yTicks)
            {
                double y = Y.ToPixel(t.Value, d.Y, d.Height);
                svg.Line(d.X - 4, y, d.X, y, "#444444", 0.8);
                if (Y.ShowTickLabels)
                {
                    svg.Text(d.X - 7, y + FontSize * 0.35, t.Label, FontSize, "end", extra: "class=\"tick-label y\"");
                    widest = Math.Max(widest, FontMetrics.Width(t.Label, FontSize));
                }
            }
            if (Y.Label.Length > 0)
            {
                double x = d.X - 7 - (widest > 0 ? widest + 6 : 0) - FontMetrics.LineHeight(LabelSize) * 0.3;
                svg.Text(x, d.Y + d.Height / 2, FontMetrics.Fit(Y.Label, LabelSize, d.Height + 20), LabelSize, "middle", rotate: -90, extra: "class=\"axis-label y\"");
            }
        }
    }

    private void RenderColorBar(SvgWriter svg, string idPrefix)
    {
        if (ColorBar is not { } cb) return;
        var d = DataArea;
        double x = d.Right + ColorBarGap;
        if (Legend == LegendPlacement.OutsideRight && InLegend.Any()) x += LegendWidth() + 8;
        string id = $"{idPrefix}colorbar-{Index}";
        svg.Raw($"<defs><linearGradient id=\"{id}\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">");
        for (int i = 0; i <= 16; i++)
            svg.Raw($"<stop offset=\"{SvgFormat.Number(i / 16.0)}\" stop-color=\"{cb.Scale.Map.At(i / 16.0).Hex}\"/>");
        svg.Raw("</linearGradient></defs>\n");
        svg.Rect(x, d.Y, ColorBarWidth, d.Height, $"url(#{id})", "stroke=\"#444444\" stroke-width=\"0.6\" class=\"colorbar\"");
        var axis = ColorBarAxis(cb.Scale);
        axis.Resolve(cb.Scale.Min, cb.Scale.Max);
        double widest = 0;
        foreach (var t in axis.Ticks(d.Height, FontSize))
        {
            double y = axis.ToPixel(t.Value, d.Y, d.Height);
            svg.Line(x + ColorBarWidth, y, x + ColorBarWidth + 3, y, "#444444", 0.8);
            svg.Text(x + ColorBarWidth + 5, y + FontSize * 0.35, t.Label, FontSize, extra: "class=\"tick-label colorbar\"");
            widest = Math.Max(widest, FontMetrics.Width(t.Label, FontSize));
        }
        if (cb.Label.Length > 0)
        {
            double lx = x + ColorBarWidth + 5 + widest + 4 + LabelSize * 0.9;
            svg.Text(lx, d.Y + d.Height / 2, FontMetrics.Fit(cb.Label, LabelSize, d.Height + 20), LabelSize, "middle", rotate: -90, extra: "class=\"axis-label colorbar\"");
        }
    }

    /// <summary>Legend entries in one centred row starting at (x, y), <paramref name="width"/> wide; labels shorten to fit.</summary>
    internal static void RenderLegendRow(SvgWriter svg, IReadOnlyList<Plottable> entries, double x0, double y, double width, double fontSize)
    {
        double total = entries.Sum(p => SwatchSize + 4 + FontMetrics.Width(p.Label, fontSize) + 12) - 12;
        double fixedPart = entries.Count * (SwatchSize + 4 + 12) - 12;
        double scale = total > width ? Math.Max(0.1, (width - fixedPart) / (total - fixedPart)) : 1;
        double x = x0 + Math.Max(0, (width - Math.Min(total, width)) / 2);
        foreach (var p in entries)
        {
            double textWidth = FontMetrics.Width(p.Label, fontSize) * scale;
            p.RenderSwatch(svg, x, y, SwatchSize);
            svg.Text(x + SwatchSize + 4, y + SwatchSize - 2, FontMetrics.Fit(p.Label, fontSize, textWidth + 1), fontSize, extra: "class=\"legend-label\"");
            x += SwatchSize + 4 + textWidth + 12;
        }
    }

    /// <summary>The plottables that have a legend entry.</summary>
    internal IReadOnlyList<Plottable> LegendEntries => InLegend.ToList();

    private void RenderLegend(SvgWriter svg, RenderContext context)
    {
        var entries = InLegend.ToList();
        if (entries.Count == 0 || Legend == LegendPlacement.None) return;
        var d = DataArea;
        double row = Math.Max(SwatchSize, FontMetrics.LineHeight(FontSize)) + 3;
        svg.OpenGroup("class=\"legend\"");
        if (Legend == LegendPlacement.Top)
        {
            RenderLegendRow(svg, entries, d.X, d.Y - row - 2, d.Width, FontSize);
            svg.CloseGroup();
            return;
        }
        double w = LegendWidth(), h = entries.Count * row + 6;
        double lx, ly;
        if (Legend == LegendPlacement.OutsideRight) { lx = d.Right + 8; ly = d.Y; }
        else
        {
            var corners = new[] { (d.Right - w - 4, d.Y + 4), (d.X + 4, d.Y + 4), (d.Right - w - 4, d.Bottom - h - 4), (d.X + 4, d.Bottom - h - 4) };
            var points = _plottables.SelectMany(p => p.Occupied).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y))
                .Select(p => (context.Px(p.X), context.Py(p.Y))).ToList();
            (lx, ly) = corners.OrderBy(c => points.Count(p => new PixelRect(c.Item1 - 4, c.Item2 - 4, w + 8, h + 8).Contains(p.Item1, p.Item2))).First();
        }
        if (Legend != LegendPlacement.OutsideRight)
            svg.Rect(lx, ly, w, h, "#ffffff", "fill-opacity=\"0.88\" stroke=\"#bbbbbb\" stroke-width=\"0.6\"");
        double yy = ly + 4;
        foreach (var p in entries)
        {
            p.RenderSwatch(svg, lx + 5, yy, SwatchSize);
            svg.Text(lx + 5 + SwatchSize + 5, yy + SwatchSize - 2, p.Label, FontSize, extra: "class=\"legend-label\"");
            yy += row;
        }
        svg.CloseGroup();
    }
}

/// <summary>The <c>Add.*</c> calls of a panel; each returns the plottable it added, to be styled further.</summary>
public sealed class PanelAdder
{
    private readonly Panel _panel;
    internal PanelAdder(Panel panel) => _panel = panel;

    private Rgb NextColor() => Palette.Series(_panel.Plottables.Count(p => p is BarSeries or LineSeries or Plottables.Scatter));

    /// <summary>A heatmap of <paramref name="values"/> [rows, columns] through <paramref name="map"/>.</summary>
    public Heatmap Heatmap(double[,] values, ColorMap map) => _panel.Register(new Heatmap(values, map));

    /// <summary>Marks cells (row, column) of a heatmap grid.</summary>
    public CellMarkers CellMarkers(IReadOnlyList<(int Row, int Column)> cells) => _panel.Register(new CellMarkers(cells));

    /// <summary>A series of bars.</summary>
    public BarSeries Bars(IReadOnlyList<Bar> bars) => _panel.Register(new BarSeries(bars, NextColor()));

    /// <summary>Bars at positions 0..n−1 with the given values.</summary>
    public BarSeries Bars(IReadOnlyList<double> values) => Bars(values.Select((v, i) => new Bar(i, v)).ToList());

    /// <summary>Points (x, y).</summary>
    public Scatter Scatter(IReadOnlyList<double> xs, IReadOnlyList<double> ys) => _panel.Register(new Scatter(xs, ys, NextColor()));

    /// <summary>A line through (x, y).</summary>
    public LineSeries Line(IReadOnlyList<double> xs, IReadOnlyList<double> ys) => _panel.Register(new LineSeries(xs, ys, NextColor()));

    /// <summary>Tokens of a text on backgrounds shaded by their counts (0..<paramref name="maxCount"/>), wrapped at the data area's width.</summary>
    public ShadedTokens ShadedTokens(IReadOnlyList<string> tokens, IReadOnlyList<int> counts, int maxCount) =>
        _panel.Register(new ShadedTokens(tokens, counts, maxCount, ColorMap.WhiteOrangeRed));

    /// <summary>A horizontal reference line at y = <paramref name="y"/>.</summary>
    public ReferenceLine HorizontalLine(double y) => _panel.Register(new ReferenceLine(y, true, new Rgb(85, 85, 85)));

    /// <summary>A vertical reference line at x = <paramref name="x"/>.</summary>
    public ReferenceLine VerticalLine(double x) => _panel.Register(new ReferenceLine(x, false, new Rgb(85, 85, 85)));
}
