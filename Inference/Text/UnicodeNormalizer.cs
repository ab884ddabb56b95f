using System.Globalization;
using System.Text;

namespace SteerMoE.Research.Inference.Text;

/// <summary>
/// Unicode normalization forms (NFC, NFD, NFKC, NFKD) over code points, from the embedded tables of
/// UnicodeNormalization.txt (Python's unicodedata, see tools/reference/text/make-unicode-normalization.py).
/// Needed because the projects run with InvariantGlobalization, where string.Normalize does nothing useful.
/// </summary>
internal static class UnicodeNormalizer
{
    private sealed class Tables
    {
        public readonly Dictionary<int, byte> CombiningClass = new();
        public readonly Dictionary<int, int[]> Canonical = new();
        public readonly Dictionary<int, int[]> Compatibility = new();
        public readonly Dictionary<long, int> Compose = new();
    }

    private static readonly Lazy<Tables> Data = new(Load);

    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7, LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static Tables Load()
    {
        var t = new Tables();
        using var stream = typeof(UnicodeNormalizer).Assembly.GetManifestResourceStream("SteerMoE.Research.Inference.Text.UnicodeNormalization.txt")
            ?? throw new InvalidDataException("embedded resource UnicodeNormalization.txt is missing from SteerMoE.Research.Inference.");
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var f = line.Split(' ');
            int cp = int.Parse(f[1], NumberStyles.HexNumber);
            switch (f[0])
            {
                case "c": t.CombiningClass[cp] = byte.Parse(f[2], CultureInfo.InvariantCulture); break;
                case "d": t.Canonical[cp] = f[2..].Select(x => int.Parse(x, NumberStyles.HexNumber)).ToArray(); break;
                case "k": t.Compatibility[cp] = f[2..].Select(x => int.Parse(x, NumberStyles.HexNumber)).ToArray(); break;
                case "p": t.Compose[((long)cp << 21) | (uint)int.Parse(f[2], NumberStyles.HexNumber)] = int.Parse(f[3], NumberStyles.HexNumber); break;
            }
        }
        return t;
    }

    /// <summary>The canonical combining class of <paramref name="cp"/>.</summary>
    public static int CombiningClass(int cp) => cp < 0x300 ? 0 : Data.Value.CombiningClass.TryGetValue(cp, out byte c) ? c : 0;

    /// <summary>Normalizes code points to <paramref name="form"/>.</summary>
    public static int[] Normalize(ReadOnlySpan<int> cps, NormalizationForm form)
    {
        bool compat = form is NormalizationForm.FormKC or NormalizationForm.FormKD;
        bool compose = form is NormalizationForm.FormC or NormalizationForm.FormKC;
        // Fast path: below U+00A0 nothing decomposes, and nothing composes without a following mark or jamo.
        bool trivial = true;
        foreach (int cp in cps) if (cp >= 0xA0) { trivial = false; break; }
        if (trivial) return cps.ToArray();

        var tables = Data.Value;
        var buffer = new List<int>(cps.Length + 8);
        foreach (int cp in cps) Decompose(cp, compat, tables, buffer);
        // Canonical ordering: stable sort of each run of non-starters by combining class.
        for (int i = 1; i < buffer.Count; i++)
        {
            int cc = CombiningClass(buffer[i]);
            if (cc == 0) continue;
            int j = i;
            while (j > 0 && CombiningClass(buffer[j - 1]) > cc) { (buffer[j - 1], buffer[j]) = (buffer[j], buffer[j - 1]); j--; }
        }
        if (!compose) return buffer.ToArray();

        // Canonical composition.
        var result = new List<int>(buffer.Count);
        int starter = -1, lastClass = -1; // lastClass -1: nothing between the starter and the current character
        foreach (int cp in buffer)
        {
            int cc = CombiningClass(cp);
            bool blocked = lastClass != -1 && (lastClass == 0 || lastClass >= cc);
            if (starter >= 0 && !blocked && TryCompose(result[starter], cp, tables, out int composed))
            {
                result[starter] = composed;
                continue;
            }
            if (cc == 0) { starter = result.Count; lastClass = -1; }
            else lastClass = cc;
            result.Add(cp);
        }
        return result.ToArray();
    }

    private static bool TryCompose(int a, int b, Tables t, out int composed)
    {
        if (a >= LBase && a < LBase + LCount && b >= VBase && b < VBase + VCount)
        { composed = SBase + ((a - LBase) * VCount + (b - VBase)) * TCount; return true; }
        if (a >= SBase && a < SBase + SCount && (a - SBase) % TCount == 0 && b > TBase && b < TBase + TCount)
        { composed = a + (b - TBase); return true; }
        return t.Compose.TryGetValue(((long)a << 21) | (uint)b, out composed);
    }

    private static void Decompose(int cp, bool compat, Tables t, List<int> output)
    {
        if (cp >= SBase && cp < SBase + SCount)
        {
            int s = cp - SBase;
            output.Add(LBase + s / NCount);
            output.Add(VBase + s % NCount / TCount);
            if (s % TCount != 0) output.Add(TBase + s % TCount);
            return;
        }
        if (t.Canonical.TryGetValue(cp, out var d) || compat && t.Compatibility.TryGetValue(cp, out d))
        {
            foreach (int x in d) Decompose(x, compat, t, output);
            return;
        }
        output.Add(cp);
    }
}
