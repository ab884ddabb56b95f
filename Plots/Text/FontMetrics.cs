namespace SteerMoE.Research.Plots.Text;

/// <summary>
/// Text width estimates for the font every figure declares (DejaVu Sans, the default sans-serif of Debian
/// and of rsvg-convert here): per-character advance widths in thousandths of an em, taken from the font's
/// hmtx table for ASCII. Layout uses them to reserve room for labels and to thin ticks so that no two
/// labels overlap; a renderer that substitutes another sans-serif font stays close to these widths.
/// </summary>
public static class FontMetrics
{
    /// <summary>The font-family attribute written into every figure.</summary>
    public const string FontFamily = "DejaVu Sans, Verdana, Arial, sans-serif";

    // Advance widths of U+0020..U+007E, DejaVu Sans Book and Bold, 1/1000 em.
    private static readonly short[] Regular =
    [
        318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636, 636, 636, 636,
        636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
        603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635,
        634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
    ];

    private static readonly short[] Bold =
    [
        348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696, 696, 696, 696, 696,
        696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850,
        733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716, 678, 435, 716,
        712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712, 365, 712, 838,
    ];

    /// <summary>The advance width of one character in 1/1000 em.</summary>
    public static int CharWidth(char c, bool bold = false)
    {
        if (c >= ' ' && c <= '~') return (bold ? Bold : Regular)[c - ' '];
        return c switch
        {
            '−' or '×' or '±' or '≥' or '≤' or '≈' or '∞' => 838, // math symbols share the '+' width
            '…' => 1000,
            '·' => 318,
            '–' => 500,
            '—' => 1000,
            _ when char.IsWhiteSpace(c) => 318,
            _ => bold ? 760 : 700, // Greek, accented and other letters: a wide letter, so room is never short
        };
    }

    /// <summary>The width in pixels of <paramref name="text"/> set at <paramref name="fontSize"/> pixels.</summary>
    public static double Width(string text, double fontSize, bool bold = false)
    {
        long sum = 0;
        foreach (char c in text) sum += CharWidth(c, bold);
        return sum * fontSize / 1000.0;
    }

    /// <summary>The height a line of text takes (ascent + descent of DejaVu Sans, about 1.17 em).</summary>
    public static double LineHeight(double fontSize) => fontSize * 1.17;

    /// <summary>
    /// Shortens <paramref name="text"/> with a trailing "…" so that it fits in <paramref name="maxWidth"/> pixels
    /// (returns it unchanged when it fits).
    /// </summary>
    public static string Fit(string text, double fontSize, double maxWidth, bool bold = false)
    {
        if (Width(text, fontSize, bold) <= maxWidth) return text;
        for (int n = text.Length - 1; n > 0; n--)
        {
            string t = text[..n].TrimEnd() + "…";
            if (Width(t, fontSize, bold) <= maxWidth) return t;
        }
        return "…";
    }

    /// <summary>
    /// Breaks <paramref name="text"/> into lines no wider than <paramref name="maxWidth"/> at spaces (a word
    /// longer than a line is shortened with "…"); at most <paramref name="maxLines"/> lines, the last one
    /// shortened when text remains.
    /// </summary>
    public static IReadOnlyList<string> Wrap(string text, double fontSize, double maxWidth, int maxLines = 3)
    {
        var lines = new List<string>();
        string current = "";
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < words.Length; i++)
        {
            string candidate = current.Length == 0 ? words[i] : current + " " + words[i];
            if (Width(candidate, fontSize) <= maxWidth || current.Length == 0) { current = candidate; continue; }
            lines.Add(Fit(current, fontSize, maxWidth));
            current = words[i];
            if (lines.Count == maxLines - 1)
            {
                current = string.Join(' ', words.Skip(i));
                break;
            }
        }
        if (current.Length > 0) lines.Add(Fit(current, fontSize, maxWidth));
        return lines;
    }
}
