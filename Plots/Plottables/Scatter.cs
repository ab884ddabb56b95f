using SteerMoE.Research.Plots.Colors;
using SteerMoE.Research.Plots.Svg;

namespace SteerMoE.Research.Plots.Plottables;

/// <summary>
/// Points (x, y), one colour or coloured by a value through a colour scale. Each drawn point is one
/// <c>&lt;circle class="point"&gt;</c> with data-x and data-y. Points whose coordinates are not finite (or
/// not positive on a log axis) are not drawn and counted in <see cref="Skipped"/> after rendering.
/// </summary>
public sealed class Scatter : Plottable, IColorScale
{
    internal Scatter(IReadOnlyList<double> xs, IReadOnlyList<double> ys, Rgb color)
    {
        if (xs.Count != ys.Count) throw new ArgumentException($"scatter: {xs.Count} x values but {ys.Count} y values; expected one of each per point.");
        Xs = xs; Ys = ys; Color = color;
    }

    /// <summary>x values.</summary>
    public IReadOnlyList<double> Xs { get; }
    /// <summary>y values.</summary>
    public IReadOnlyList<double> Ys { get; }
    /// <summary>The colour when <see cref="ColorValues"/> is null.</summary>
    public Rgb Color { get; set; }
    /// <summary>Marker radius in pixels.</summary>
    public double Radius { get; set; } = 2.5;
    /// <summary>Fill opacity (overlapping points stay visible).</summary>
    public double Opacity { get; set; } = 0.8;
    /// <summary>Per-point values mapped through <see cref="Map"/> (null: one colour).</summary>
    public IReadOnlyList<double>? ColorValues { get; private set; }
    /// <inheritdoc/>
    public ColorMap Map { get; private set; } = ColorMap.VioletYellow;
    /// <inheritdoc/>
    public double Min { get; set; }
    /// <inheritdoc/>
    public double Max { get; set; } = 1;
    /// <inheritdoc/>
    public bool IsLog { get; set; }
    /// <summary>Points left out at the last rendering (non-finite, or outside a log axis).</summary>
    public int Skipped { get; private set; }

    /// <summary>Colours the points by <paramref name="values"/> (one per point) through <paramref name="map"/>, log10 when <paramref name="log"/>.</summary>
    public Scatter ColorBy(IReadOnlyList<double> values, ColorMap map, bool log)
    {
        if (values.Count != Xs.Count) throw new ArgumentException($"scatter: {values.Count} colour values for {Xs.Count} points.");
        var usable = values.Where(v => double.IsFinite(v) && (!log || v > 0)).ToArray();
        ColorValues = values; Map = map; IsLog = log;
        Min = usable.Length > 0 ? usable.Min() : 1; Max = usable.Length > 0 ? usable.Max() : 10;
        if (Max <= Min) Max = log ? Min * 10 : Min + 1;
        return this;
    }

    /// <inheritdoc/>
    public override IEnumerable<double> XExtent => Drawable.Select(i => Xs[i]);
    /// <inheritdoc/>
    public override IEnumerable<double> YExtent => Drawable.Select(i => Ys[i]);

    // Only points with both coordinates finite set the axis limits.
    private IEnumerable<int> Drawable => Enumerable.Range(0, Xs.Count).Where(i => double.IsFinite(Xs[i]) && double.IsFinite(Ys[i]));
    /// <inheritdoc/>
    public override IEnumerable<(double X, double Y)> Occupied => Xs.Zip(Ys);

    /// <inheritdoc/>
    public override void Render(RenderContext c)
    {
        c.Svg.OpenGroup($"class=\"scatter\" data-label=\"{SvgFormat.Escape(Label)}\" fill-opacity=\"{SvgFormat.Number(Opacity)}\"");
        int skipped = 0;
        // Draw small colour values first so that the rare (large or small) ones are not buried: stable order by value.
        var order = Enumerable.Range(0, Xs.Count);
        if (ColorValues != null) order = order.OrderByDescending(i => double.IsNaN(ColorValues[i]) ? double.MaxValue : ColorValues[i]).ThenBy(i => i);
        foreach (int i in order)
        {
            double x = Xs[i], y = Ys[i];
            if (!c.X.Contains(x) || !c.Y.Contains(y)) { skipped++; continue; }
            string fill = ColorValues == null ? Color.Hex
                : double.IsNaN(ColorScale.Position(this, ColorValues[i])) ? "#999999" : Map.At(ColorScale.Position(this, ColorValues[i])).Hex;
            c.Svg.Circle(c.Px(x), c.Py(y), Radius, fill, $"class=\"point\" data-x=\"{SvgFormat.DataValue(x)}\" data-y=\"{SvgFormat.DataValue(y)}\"");
        }
        Skipped = skipped;
        c.Svg.CloseGroup();
    }

    /// <inheritdoc/>
    public override void RenderSwatch(SvgWriter svg, double x, double y, double size) => svg.Circle(x + size / 2, y + size / 2, Radius + 1, Color.Hex);
}
