using System.Globalization;
using System.Text;

namespace SteerMoE.Research.Plots.Svg;

/// <summary>
/// Number and text formatting for SVG and HTML output: invariant culture, a fixed number of decimals, and
/// XML escaping, so that the same figure always produces the same bytes on every machine.
/// </summary>
public static class SvgFormat
{
    /// <summary>A coordinate with at most two decimals, trailing zeros dropped ("12.5", "3", "-0.25").</summary>
    public static string Number(double v)
    {
        if (!double.IsFinite(v)) throw new ArgumentException($"SVG coordinate {v} is not finite.");
        double r = Math.Round(v, 2, MidpointRounding.AwayFromZero);
        if (r == 0) r = 0; // no "-0"
        return r.ToString("0.##", CultureInfo.InvariantCulture);
    }

    /// <summary>A data value stored in a mark's data attribute: six significant digits, nan/inf spelled out.</summary>
    public static string DataValue(double v) =>
        double.IsNaN(v) ? "nan" : double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf"
        : v.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>Escapes text for an XML/HTML element body or a double-quoted attribute.</summary>
    public static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                default:
                    // Control characters are not allowed in XML 1.0; tokens may contain them.
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') sb.Append('\uFFFD'); else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>A tick or legend label: integers without decimals, otherwise the shortest of up to four decimals; "−" for minus.</summary>
    public static string Label(double v, int decimals)
    {
        if (double.IsNaN(v)) return "NaN";
        if (double.IsInfinity(v)) return v > 0 ? "∞" : "−∞";
        double r = Math.Round(v, decimals, MidpointRounding.AwayFromZero);
        if (r == 0) r = 0;
        string s = r.ToString("F" + decimals, CultureInfo.InvariantCulture);
        return s.Replace('-', '−');
    }
}
