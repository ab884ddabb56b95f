using System.Globalization;
using System.Text;

namespace SteerMoE.Research.Inference.Text;

/// <summary>
/// A piece of text as Unicode code points, each aligned to the span of original code points it came from,
/// so that a token's offsets can be reported in the caller's text (code points, as Python counts them).
/// </summary>
internal sealed class NormalizedText
{
    /// <summary>The code points of the (normalized) text.</summary>
    public int[] CodePoints { get; }

    /// <summary>For each code point: the [Start, End) range of original code points it came from.</summary>
    public (int Start, int End)[] Alignment { get; }

    private string? _shadow;

    public NormalizedText(int[] codePoints, (int Start, int End)[] alignment)
    {
        CodePoints = codePoints;
        Alignment = alignment;
    }

    /// <summary>Identity alignment for original code points <paramref name="cps"/>[start..end).</summary>
    public static NormalizedText FromOriginal(int[] cps, int start, int end)
    {
        var c = cps[start..end];
        var a = new (int, int)[c.Length];
        for (int i = 0; i < c.Length; i++) a[i] = (start + i, start + i + 1);
        return new NormalizedText(c, a);
    }

    public int Length => CodePoints.Length;

    /// <summary>The original span covered by code points [start, end) (empty spans map to a point).</summary>
    public (int Start, int End) OriginalSpan(int start, int end) =>
        end > start ? (Alignment[start].Start, Alignment[end - 1].End)
        : start < Length ? (Alignment[start].Start, Alignment[start].Start)
        : Length > 0 ? (Alignment[^1].End, Alignment[^1].End) : (0, 0);

    public NormalizedText Slice(int start, int end) => new(CodePoints[start..end], Alignment[start..end]);

    /// <summary>The text as a .NET string (surrogate pairs for code points above U+FFFF).</summary>
    public override string ToString() => CodePointText.ToUtf16(CodePoints, 0, CodePoints.Length);

    /// <summary>
    /// One UTF-16 unit per code point, for regular expressions: code points above U+FFFF are replaced by a BMP
    /// character of the same Unicode general category, so that \p{..} classes see them as Python's and Rust's
    /// engines do and match indices are code point indices.
    /// </summary>
    public string Shadow => _shadow ??= CodePointText.Shadow(CodePoints);

    /// <summary>Prepends <paramref name="cp"/>, aligned to the first original code point.</summary>
    public NormalizedText Prepend(int cp)
    {
        var first = Length > 0 ? (Alignment[0].Start, Alignment[0].End) : (0, 0);
        return new NormalizedText([cp, .. CodePoints], [first, .. Alignment]);
    }

    /// <summary>Replaces the code point ranges <paramref name="matches"/> (sorted, disjoint) by <paramref name="content"/>.</summary>
    public NormalizedText Replace(IReadOnlyList<(int Start, int End)> matches, int[] content)
    {
        if (matches.Count == 0) return this;
        var cps = new List<int>(Length);
        var align = new List<(int, int)>(Length);
        int pos = 0;
        foreach (var (s, e) in matches)
        {
            for (int i = pos; i < s; i++) { cps.Add(CodePoints[i]); align.Add(Alignment[i]); }
            var span = OriginalSpan(s, e);
            foreach (var c in content) { cps.Add(c); align.Add(span); }
            pos = e;
        }
        for (int i = pos; i < Length; i++) { cps.Add(CodePoints[i]); align.Add(Alignment[i]); }
        return new NormalizedText(cps.ToArray(), align.ToArray());
    }

    /// <summary>Maps every code point through <paramref name="map"/> (which may produce several).</summary>
    public NormalizedText MapEach(Func<int, string> map)
    {
        var cps = new List<int>(Length);
        var align = new List<(int, int)>(Length);
        for (int i = 0; i < Length; i++)
            foreach (var r in map(CodePoints[i]).EnumerateRunes()) { cps.Add(r.Value); align.Add(Alignment[i]); }
        return new NormalizedText(cps.ToArray(), align.ToArray());
    }

    /// <summary>Applies a Unicode normalization form; alignment is kept per starter and the non-starters after it.</summary>
    public NormalizedText Normalize(NormalizationForm form)
    {
        var whole = UnicodeNormalizer.Normalize(CodePoints, form);
        if (whole.AsSpan().SequenceEqual(CodePoints)) return this;
        // Segments = a starter and the combining marks after it; each normalizes on its own in almost all text.
        var cps = new List<int>(whole.Length);
        var align = new List<(int, int)>(whole.Length);
        int i = 0;
        while (i < Length)
        {
            int j = i + 1;
            while (j < Length && UnicodeNormalizer.CombiningClass(CodePoints[j]) != 0) j++;
            var span = OriginalSpan(i, j);
            foreach (int cp in UnicodeNormalizer.Normalize(CodePoints.AsSpan(i, j - i), form)) { cps.Add(cp); align.Add(span); }
            i = j;
        }
        if (cps.SequenceEqual(whole)) return new NormalizedText(cps.ToArray(), align.ToArray());
        // Compositions across segments (e.g. Hangul jamo): exact text, coarse alignment.
        var coarse = OriginalSpan(0, Length);
        return new NormalizedText(whole, Enumerable.Repeat(coarse, whole.Length).ToArray());
    }

}

/// <summary>Conversions between .NET strings and code point arrays.</summary>
internal static class CodePointText
{
    /// <summary>The code points of <paramref name="text"/>; an unpaired surrogate becomes U+FFFD, as when Python decodes UTF-8.</summary>
    public static int[] FromString(string text)
    {
        var result = new int[text.Length];
        int n = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            { result[n++] = char.ConvertToUtf32(c, text[i + 1]); i++; }
            else result[n++] = char.IsSurrogate(c) ? 0xFFFD : c;
        }
        return n == result.Length ? result : result[..n];
    }

    public static string ToUtf16(int[] cps, int start, int end)
    {
        var sb = new StringBuilder(end - start);
        for (int i = start; i < end; i++) AppendCodePoint(sb, cps[i]);
        return sb.ToString();
    }

    public static void AppendCodePoint(StringBuilder sb, int cp)
    {
        if (cp < 0x10000) sb.Append((char)cp);
        else sb.Append(char.ConvertFromUtf32(cp));
    }

    public static string Shadow(int[] cps)
    {
        var chars = new char[cps.Length];
        for (int i = 0; i < cps.Length; i++)
            chars[i] = cps[i] < 0x10000 ? (char)cps[i] : Representative(CharUnicodeInfo.GetUnicodeCategory(cps[i]));
        return new string(chars);
    }

    /// <summary>A BMP character of general category <paramref name="category"/> (no case mapping, no whitespace).</summary>
    private static char Representative(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter => '\u0391',
        UnicodeCategory.LowercaseLetter => '\u03B1',
        UnicodeCategory.TitlecaseLetter => '\u01C5',
        UnicodeCategory.ModifierLetter => '\u02B0',
        UnicodeCategory.OtherLetter => '\u4E00',
        UnicodeCategory.NonSpacingMark => '\u0300',
        UnicodeCategory.SpacingCombiningMark => '\u0903',
        UnicodeCategory.EnclosingMark => '\u20DD',
        UnicodeCategory.DecimalDigitNumber => '\u0660',
        UnicodeCategory.LetterNumber => '\u2160',
        UnicodeCategory.OtherNumber => '\u00B2',
        UnicodeCategory.MathSymbol => '\u00AC',
        UnicodeCategory.CurrencySymbol => '\u00A2',
        UnicodeCategory.ModifierSymbol => '\u00B4',
        UnicodeCategory.OtherSymbol => '\u00A9',
        UnicodeCategory.ConnectorPunctuation => '\u203F',
        UnicodeCategory.DashPunctuation => '\u2010',
        UnicodeCategory.OpenPunctuation => '\u2045',
        UnicodeCategory.ClosePunctuation => '\u2046',
        UnicodeCategory.InitialQuotePunctuation => '\u2018',
        UnicodeCategory.FinalQuotePunctuation => '\u2019',
        UnicodeCategory.OtherPunctuation => '\u00B6',
        UnicodeCategory.Format => '\u00AD',
        UnicodeCategory.PrivateUse => '\uE000',
        _ => '\u0378', // unassigned
    };
}
