using SteerMoE.Research.Plots.Colors;
using SteerMoE.Research.Plots.Svg;

namespace SteerMoE.Research.Plots.Plottables;

/// <summary>
/// A line through (x, y) points with optional markers and an optional shaded interval [low, high] per point
/// (class "band"). A non-finite y breaks the line. Markers have class "line-point" with data-x / data-y.
/// </summary>
public sealed class LineSeries : Plottable
{
    internal LineSeries(IReadOnlyList<double> xs, IReadOnlyList<double> ys, Rgb color)
    {
        if (xs.Count != ys.Count) throw new ArgumentException($"line: {xs.Count} x values but {ys.Count} y values.");
        Xs = xs; Ys = ys; Color = color;
    }

    /// <summary>x values (drawn in the given order).</summary>
    public IReadOnlyList<double> Xs { get; }
    /// <summary>y values.</summary>
    public IReadOnlyList<double> Ys { get; }
    /// <summary>Lower ends of the interval (null: no band).</summary>
    public IReadOnlyList<double>? Low { get; private set; }
    /// <summary>Upper ends of the interval.</summary>
    public IReadOnlyList<double>? High { get; private set; }
    /// <summary>Line colour.</summary>
    public Rgb Color { get; set; }
    /// <summary>Line width in pixels.</summary>
    public double LineWidth { get; set; } = 1.8;
    /// <summary>Marker radius (0: none).</summary>
    public double MarkerRadius { get; set; } = 2.8;
    /// <summary>SVG dash pattern ("" = solid).</summary>
    public string Dash { get; set; } = "";

    /// <summary>Adds a shaded interval, one [low, high] per point.</summary>
    public LineSeries WithBand(IReadOnlyList<double> low, IReadOnlyList<double> high)
    {
        if (low.Count != Xs.Count || high.Count != Xs.Count) throw new ArgumentException($"line: interval has {low.Count}/{high.Count} ends for {Xs.Count} points.");
        Low = low; High = high;
        return this;
    }

    /// <inheritdoc/>
    public override IEnumerable<double> XExtent => Xs;
    /// <inheritdoc/>
    public override IEnumerable<double> YExtent => Low == null ? Ys : Ys.Concat(Low).Concat(High!);
    /// <inheritdoc/>
    public override IEnumerable<(double X, double Y)> Occupied => Low == null ? Xs.Zip(Ys) : Xs.Zip(Ys).Concat(Xs.Zip(Low)).Concat(Xs.Zip(High!));

    /// <inheritdoc/>
    public override void Render(RenderContext c)
    {
        c.Svg.OpenGroup($"class=\"line-series\" data-label=\"{SvgFormat.Escape(Label)}\"");
        if (Low != null && High != null)
        {
            var idx = Enumerable.Range(0, Xs.Count).Where(i => double.IsFinite(Xs[i]) && double.IsFinite(Low[i]) && double.IsFinite(High[i])).ToList();
            var poly = idx.Select(i => (c.Px(Xs[i]), c.Py(High[i]))).Concat(idx.AsEnumerable().Reverse().Select(i => (c.Px(Xs[i]), c.Py(Low[i])))).ToList();
            if (idx.Count > 0) c.Svg.Path(poly, true, $"class=\"band\" fill=\"{Color.Hex}\" fill-opacity=\"0.18\" stroke=\"none\"");
        }
        var segment = new List<(double, double)>();
        void Flush()
        {
            if (segment.Count > 1)
                c.Svg.Path(segment, false, $"class=\"line\" fill=\"none\" stroke=\"{Color.Hex}\" stroke-width=\"{SvgFormat.Number(LineWidth)}\" stroke-linejoin=\"round\"" + (Dash.Length > 0 ? $" stroke-dasharray=\"{Dash}\"" : ""));
            segment.Clear();
        }
        for (int i = 0; i < Xs.Count; i++)
        {
            if (double.IsFinite(Xs[i]) && double.IsFinite(Ys[i])) segment.Add((c.Px(Xs[i]), c.Py(Ys[i])));
            else Flush();
        }
        Flush();
        if (MarkerRadius > 0)
            for (int i = 0; i < Xs.Count; i++)
                if (double.IsFinite(Xs[i]) && double.IsFinite(Ys[i]))
                    c.Svg.Circle(c.Px(Xs[i]), c.Py(Ys[i]), MarkerRadius, Color.Hex, $"class=\"line-point\" data-x=\"{SvgFormat.DataValue(Xs[i])}\" data-y=\"{SvgFormat.DataValue(Ys[i])}\"");
        c.Svg.CloseGroup();
    }

    /// <inheritdoc/>
    public override void RenderSwatch(SvgWriter svg, double x, double y, double size)
    {
        if (Low != null) svg.Rect(x, y + size * 0.2, size, size * 0.6, Color.Hex, "fill-opacity=\"0.18\"");
        svg.Line(x, y + size / 2, x + size, y + size / 2, Color.Hex, LineWidth, Dash.Length > 0 ? $"stroke-dasharray=\"{Dash}\"" : "");
        if (MarkerRadius > 0) svg.Circle(x + size / 2, y + size / 2, MarkerRadius, Color.Hex);
    }
}

/// <summary>
/// A horizontal (y = value) or vertical (x = value) reference line across the data area, e.g. a control
/// level; drawn with class "refline" and data-value. Its label goes into the legend.
/// </summary>
public sealed class ReferenceLine : Plottable
{
    internal ReferenceLine(double value, bool horizontal, Rgb color) { Value = value; Horizontal = horizontal; Color = color; }

    /// <summary>The position in data units.</summary>
    public double Value { get; }
    /// <summary>True for y = value.</summary>
    public bool Horizontal { get; }
    /// <summary>Line colour.</summary>
    public Rgb Color { get; set; }
    /// <summary>SVG dash pattern.</summary>
    public string Dash { get; set; } = "5 3";
    /// <summary>Whether the automatic axis limits stretch to include the line (a control level should be seen; a zero line need not).</summary>
    public bool IncludeInLimits { get; set; } = true;

    /// <inheritdoc/>
    public override IEnumerable<double> XExtent => Horizontal || !IncludeInLimits ? [] : [Value];
    /// <inheritdoc/>
    public override IEnumerable<double> YExtent => Horizontal && IncludeInLimits ? [Value] : [];

    /// <inheritdoc/>
    public override void Render(RenderContext c)
    {
        if (!(Horizontal ? c.Y : c.X).Contains(Value)) return;
        string attrs = $"class=\"refline\" data-value=\"{SvgFormat.DataValue(Value)}\" stroke-dasharray=\"{Dash}\"";
        if (Horizontal) c.Svg.Line(c.Data.X, c.Py(Value), c.Data.Right, c.Py(Value), Color.Hex, 1.3, attrs);
        else c.Svg.Line(c.Px(Value), c.Data.Y, c.Px(Value), c.Data.Bottom, Color.Hex, 1.3, attrs);
    }

    /// <inheritdoc/>
    public override void RenderSwatch(SvgWriter svg, double x, double y, double size) =>
        svg.Line(x, y + size / 2, x + size, y + size / 2, Color.Hex, 1.3, $"stroke-dasharray=\"{Dash}\"");
}
