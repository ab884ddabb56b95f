using SteerMoE.Research.Plots.Colors;
using SteerMoE.Research.Plots.Svg;
using SteerMoE.Research.Plots.Text;

namespace SteerMoE.Research.Plots.Plottables;

/// <summary>One bar: its position on the category axis, its value, and an optional error interval.</summary>
public readonly record struct Bar(double Position, double Value, double ErrorLow = double.NaN, double ErrorHigh = double.NaN);

/// <summary>
/// Bars of one series (vertical by default; horizontal bars grow along x, as in a marginal histogram).
/// Each bar is one <c>&lt;rect class="bar"&gt;</c> carrying data-position and data-value. Bars with a NaN
/// value are left out and counted in <see cref="Skipped"/>.
/// </summary>
public sealed class BarSeries : Plottable
{
    internal BarSeries(IReadOnlyList<Bar> bars, Rgb color) { Bars = bars; Color = color; }

    /// <summary>The bars.</summary>
    public IReadOnlyList<Bar> Bars { get; }
    /// <summary>Fill colour.</summary>
    public Rgb Color { get; set; }
    /// <summary>Bar width in data units along the category axis.</summary>
    public double Width { get; set; } = 0.8;
    /// <summary>The value bars grow from.</summary>
    public double Base { get; set; }
    /// <summary>Horizontal bars (position on y, value on x).</summary>
    public bool Horizontal { get; set; }
    /// <summary>Writes each value above its bar when the bar is wide enough for the text.</summary>
    public bool ShowValues { get; set; }
    /// <summary>Decimals of the value labels.</summary>
    public int ValueDecimals { get; set; } = 2;
    /// <summary>Bars not drawn because their value is not finite.</summary>
    public int Skipped => Bars.Count(b => !double.IsFinite(b.Value));

    private IEnumerable<Bar> Drawn => Bars.Where(b => double.IsFinite(b.Value));

    private IEnumerable<double> ValueExtent => Drawn.SelectMany(b => new[] { b.Value, Base, b.ErrorLow, b.ErrorHigh }).Where(double.IsFinite);
    private IEnumerable<double> PositionExtent => Drawn.SelectMany(b => new[] { b.Position - Width / 2, b.Position + Width / 2 });

    /// <inheritdoc/>
    public override IEnumerable<double> XExtent => Horizontal ? ValueExtent : PositionExtent;
    /// <inheritdoc/>
    public override IEnumerable<double> YExtent => Horizontal ? PositionExtent : ValueExtent;
    /// <inheritdoc/>
    public override IEnumerable<(double X, double Y)> Occupied =>
        Drawn.SelectMany(b => Horizontal ? new[] { (b.Value, b.Position), (Base, b.Position) } : new[] { (b.Position, b.Value), (b.Position, Base) });

    /// <inheritdoc/>
    public override void Render(RenderContext c)
    {
        c.Svg.OpenGroup($"class=\"bars\" data-label=\"{SvgFormat.Escape(Label)}\"");
        foreach (var b in Drawn)
        {
            double p0 = b.Position - Width / 2, p1 = b.Position + Width / 2;
            string data = $"class=\"bar\" data-position=\"{SvgFormat.DataValue(b.Position)}\" data-value=\"{SvgFormat.DataValue(b.Value)}\"";
            if (Horizontal)
            {
                double y0 = c.Py(p0), y1 = c.Py(p1), x0 = c.Px(Base), x1 = c.Px(b.Value);
                c.Svg.Rect(x0, y0, x1 - x0, y1 - y0, Color.Hex, data);
                continue;
            }
            double bx0 = c.Px(p0), bx1 = c.Px(p1), by0 = c.Py(Base), by1 = c.Py(b.Value);
            c.Svg.Rect(bx0, by0, bx1 - bx0, by1 - by0, Color.Hex, data);
            double mid = (bx0 + bx1) / 2, top = Math.Min(by0, by1);
            if (double.IsFinite(b.ErrorLow) && double.IsFinite(b.ErrorHigh))
            {
                double e0 = c.Py(b.ErrorLow), e1 = c.Py(b.ErrorHigh), cap = Math.Min(4, Math.Abs(bx1 - bx0) / 4);
                c.Svg.Line(mid, e0, mid, e1, "#222222", 1, "class=\"errorbar\"");
                c.Svg.Line(mid - cap, e0, mid + cap, e0, "#222222", 1);
                c.Svg.Line(mid - cap, e1, mid + cap, e1, "#222222", 1);
                top = Math.Min(top, Math.Min(e0, e1));
            }
            if (ShowValues)
            {
                double size = c.FontSize * 0.8;
                string text = SvgFormat.Label(b.Value, ValueDecimals);
                if (FontMetrics.Width(text, size) <= Math.Abs(bx1 - bx0) + 2 && top - 3 - size > c.Data.Y)
                    c.Svg.Text(mid, top - 3, text, size, "middle", extra: "class=\"bar-value\"");
            }
        }
        c.Svg.CloseGroup();
    }

    /// <inheritdoc/>
    public override void RenderSwatch(SvgWriter svg, double x, double y, double size) => svg.Rect(x, y + 1, size, size - 2, Color.Hex);
}
