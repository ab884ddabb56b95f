using System.Globalization;

namespace SteerMoE.Research.Plots.Colors;

/// <summary>An opaque sRGB colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    /// <summary>Parses "#rrggbb".</summary>
    public static Rgb Parse(string hex)
    {
        if (hex.Length != 7 || hex[0] != '#' || !int.TryParse(hex.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int v))
            throw new FormatException($"colour '{hex}': expected #rrggbb.");
        return new Rgb((byte)(v >> 16), (byte)(v >> 8), (byte)v);
    }

    /// <summary>"#rrggbb", lower case.</summary>
    public string Hex => string.Create(CultureInfo.InvariantCulture, $"#{R:x2}{G:x2}{B:x2}");

    /// <summary>The same colour as ScottPlot takes it.</summary>
    public ScottPlot.Color ToColor() => new(R, G, B);

    /// <summary>Linear interpolation in sRGB between two colours, t in [0, 1].</summary>
    public static Rgb Lerp(Rgb a, Rgb b, double t) => new(
        (byte)Math.Round(a.R + (b.R - a.R) * t), (byte)Math.Round(a.G + (b.G - a.G) * t), (byte)Math.Round(a.B + (b.B - a.B) * t));

    /// <summary>Relative luminance (WCAG), used to pick black or white text on a coloured background.</summary>
    public double Luminance
    {
        get
        {
            static double Lin(byte c) { double s = c / 255.0; return s <= 0.03928 ? s / 12.92 : Math.Pow((s + 0.055) / 1.055, 2.4); }
            return 0.2126 * Lin(R) + 0.7152 * Lin(G) + 0.0722 * Lin(B);
        }
    }

    /// <summary>Black or white, whichever reads better on this colour.</summary>
    public Rgb ContrastingText => Luminance > 0.36 ? new Rgb(0, 0, 0) : new Rgb(255, 255, 255);

    /// <inheritdoc/>
    public override string ToString() => Hex;
}
