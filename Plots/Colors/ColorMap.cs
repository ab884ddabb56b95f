namespace SteerMoE.Research.Plots.Colors;

/// <summary>
/// A continuous colour map: evenly spaced control colours over [0, 1], interpolated linearly. Diverging maps
/// put their neutral colour at 0.5 and are used with a range symmetric around 0.
/// </summary>
public sealed class ColorMap : ScottPlot.IColormap
{
    private readonly Rgb[] _stops;

    /// <summary>Builds a map from at least two control colours.</summary>
    public ColorMap(string name, bool diverging, params Rgb[] stops)
    {
        if (stops.Length < 2) throw new ArgumentException($"colour map '{name}': needs at least two control colours.");
        Name = name; IsDiverging = diverging; _stops = stops;
    }

    /// <summary>The map's name (written into the SVG for readers).</summary>
    public string Name { get; }
    /// <summary>True for a map with a neutral middle (values symmetric around a centre).</summary>
    public bool IsDiverging { get; }

    /// <summary>The colour at position t in [0, 1] (clamped).</summary>
    public Rgb At(double t)
    {
        if (double.IsNaN(t)) throw new ArgumentException("colour map position is NaN.");
        t = Math.Clamp(t, 0, 1) * (_stops.Length - 1);
        int i = Math.Min((int)t, _stops.Length - 2);
        return Rgb.Lerp(_stops[i], _stops[i + 1], t - i);
    }

    /// <summary>ScottPlot's view of the map: the colour at position t in [0, 1].</summary>
    public ScottPlot.Color GetColor(double normalizedIntensity) => At(normalizedIntensity).ToColor();

    /// <summary>Blue (negative) through near-white to red (positive): for risk differences and other signed scores.</summary>
    public static ColorMap BlueWhiteRed { get; } = new("blue-white-red", true,
        Rgb.Parse("#1f4e99"), Rgb.Parse("#4a86c5"), Rgb.Parse("#a9cbe4"), Rgb.Parse("#f5f5f5"),
        Rgb.Parse("#f3b49a"), Rgb.Parse("#d6604d"), Rgb.Parse("#a11a2b"));

    /// <summary>Dark violet through teal to yellow, perceptually ordered and readable in grey: for counts and sizes.</summary>
    public static ColorMap VioletYellow { get; } = new("violet-yellow", false,
        Rgb.Parse("#440154"), Rgb.Parse("#472d7b"), Rgb.Parse("#3b528b"), Rgb.Parse("#2c728e"), Rgb.Parse("#21918c"),
        Rgb.Parse("#28ae80"), Rgb.Parse("#5ec962"), Rgb.Parse("#addc30"), Rgb.Parse("#fde725"));

    /// <summary>White through orange to dark red: for shading text backgrounds by a count (0 = no colour).</summary>
    public static ColorMap WhiteOrangeRed { get; } = new("white-orange-red", false,
        Rgb.Parse("#ffffff"), Rgb.Parse("#fee8c8"), Rgb.Parse("#fdbb84"), Rgb.Parse("#e34a33"), Rgb.Parse("#990000"));
}

/// <summary>Distinct colours for series (colour-blind safe, in the order series receive them).</summary>
public static class Palette
{
    private static readonly Rgb[] Colors =
    [
        Rgb.Parse("#0072b2"), Rgb.Parse("#d55e00"), Rgb.Parse("#009e73"), Rgb.Parse("#cc79a7"),
        Rgb.Parse("#e69f00"), Rgb.Parse("#56b4e9"), Rgb.Parse("#555555"), Rgb.Parse("#f0e442"),
    ];

    /// <summary>The colour of series <paramref name="index"/> (cycles after eight).</summary>
    public static Rgb Series(int index) => Colors[((index % Colors.Length) + Colors.Length) % Colors.Length];
}
