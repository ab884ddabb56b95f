using SteerMoE.Research.Plots.Axes;
using SteerMoE.Research.Plots.Colors;
using SteerMoE.Research.Plots.Layout;
using SteerMoE.Research.Plots.Svg;

namespace SteerMoE.Research.Plots.Plottables;

/// <summary>What a plottable sees while it draws: the writer, the data area and the two axes.</summary>
public sealed class RenderContext
{
    internal RenderContext(SvgWriter svg, PixelRect data, Axis x, Axis y, double fontSize)
    { Svg = svg; Data = data; X = x; Y = y; FontSize = fontSize; }

    /// <summary>Where to write.</summary>
    public SvgWriter Svg { get; }
    /// <summary>The data area in figure pixels.</summary>
    public PixelRect Data { get; }
    /// <summary>The horizontal axis (limits resolved).</summary>
    public Axis X { get; }
    /// <summary>The vertical axis (limits resolved).</summary>
    public Axis Y { get; }
    /// <summary>The panel's base font size in pixels.</summary>
    public double FontSize { get; }
    /// <summary>Pixel x of a data x.</summary>
    public double Px(double x) => X.ToPixel(x, Data.X, Data.Width);
    /// <summary>Pixel y of a data y.</summary>
    public double Py(double y) => Y.ToPixel(y, Data.Y, Data.Height);
}

/// <summary>A continuous colour scale a plottable uses; a panel's colour bar shows it.</summary>
public interface IColorScale
{
    /// <summary>The map.</summary>
    ColorMap Map { get; }
    /// <summary>The value at the map's low end.</summary>
    double Min { get; }
    /// <summary>The value at the map's high end.</summary>
    double Max { get; }
    /// <summary>True when values are placed on the map by log10.</summary>
    bool IsLog { get; }
}

/// <summary>Colour-scale helpers shared by plottables and the colour bar.</summary>
public static class ColorScale
{
    /// <summary>The position in [0, 1] of a value on a scale (clamped; NaN for NaN or non-positive values on a log scale).</summary>
    public static double Position(IColorScale s, double v)
    {
        if (double.IsNaN(v) || (s.IsLog && v <= 0)) return double.NaN;
        double a = s.IsLog ? Math.Log10(s.Min) : s.Min, b = s.IsLog ? Math.Log10(s.Max) : s.Max, t = s.IsLog ? Math.Log10(v) : v;
        if (!(b > a)) return 0.5;
        return Math.Clamp((t - a) / (b - a), 0, 1);
    }
}

/// <summary>
/// Something drawn in a panel's data area (a heatmap, bars, points, a line). The object returned by
/// <c>Add.*</c>: set its properties (label, colour, ...) before the figure is saved.
/// </summary>
public abstract class Plottable
{
    /// <summary>The legend text ("" keeps it out of the legend).</summary>
    public string Label { get; set; } = "";

    /// <summary>Data x values the automatic axis limits must include.</summary>
    public abstract IEnumerable<double> XExtent { get; }
    /// <summary>Data y values the automatic axis limits must include.</summary>
    public abstract IEnumerable<double> YExtent { get; }

    /// <summary>Data points (in data units) the legend should avoid covering.</summary>
    public virtual IEnumerable<(double X, double Y)> Occupied => [];

    /// <summary>Draws into the data area.</summary>
    public abstract void Render(RenderContext context);

    /// <summary>Draws the legend sample in a box of <paramref name="size"/> pixels at (x, y) top-left.</summary>
    public virtual void RenderSwatch(SvgWriter svg, double x, double y, double size) { }
}
