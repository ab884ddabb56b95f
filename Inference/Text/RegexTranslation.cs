using System.Text;
using System.Text.RegularExpressions;

namespace SteerMoE.Research.Inference.Text;

/// <summary>
/// Translates the regular expressions of tokenizer.json (written for Rust's <c>onig</c>/<c>fancy-regex</c>
/// and Python's <c>regex</c>) to .NET. What differs and how it is handled:
/// <list type="bullet">
/// <item>\p{L}, \p{N}, \p{Lu}… and (?i:…) mean the same in .NET; long property names (\p{Letter}) are mapped
/// to the short ones; script names (\p{Han}) are not available in .NET and are rejected by name.</item>
/// <item>Possessive quantifiers (x*+, x++, x?+, x{n,m}+) do not exist in .NET: they become atomic groups (?&gt;x*).</item>
/// <item>.NET matches UTF-16 units, not code points: patterns run on <see cref="NormalizedText.Shadow"/>,
/// which has one unit per code point with the same general category.</item>
/// <item>\s is the Unicode White_Space set in both (the reference JS engine adds U+FEFF, which Rust does not).</item>
/// </list>
/// </summary>
internal static class RegexTranslation
{
    private static readonly Dictionary<string, string> LongNames = new(StringComparer.Ordinal)
    {
        ["Letter"] = "L", ["Uppercase_Letter"] = "Lu", ["Lowercase_Letter"] = "Ll", ["Titlecase_Letter"] = "Lt",
        ["Modifier_Letter"] = "Lm", ["Other_Letter"] = "Lo", ["Mark"] = "M", ["Number"] = "N",
        ["Decimal_Number"] = "Nd", ["Punctuation"] = "P", ["Symbol"] = "S", ["Separator"] = "Z", ["Other"] = "C",
    };

    private static readonly HashSet<string> ShortNames = new(StringComparer.Ordinal)
    {
        "L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "Me", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Ps", "Pe",
        "Pi", "Pf", "Po", "S", "Sm", "Sc", "Sk", "So", "Z", "Zs", "Zl", "Zp", "C", "Cc", "Cf", "Cs", "Co", "Cn",
    };

    /// <summary>The .NET regex for <paramref name="pattern"/>; <paramref name="where"/> names the field for errors.</summary>
    public static Regex Translate(string pattern, string where)
    {
        var sb = new StringBuilder(pattern.Length + 16);
        var atomStarts = new Stack<int>(); // output positions of open groups
        int lastAtom = -1;                 // output position where the last complete atom starts
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            switch (c)
            {
                case '\\':
                {
                    if (i + 1 >= pattern.Length) throw new FormatException($"{where}: the pattern ends with a lone backslash.");
                    int start = sb.Length;
                    char n = pattern[i + 1];
                    if (n is 'p' or 'P' && i + 2 < pattern.Length && pattern[i + 2] == '{')
                    {
                        int close = pattern.IndexOf('}', i + 3);
                        if (close < 0) throw new FormatException($"{where}: unterminated \\{n}{{ in the pattern.");
                        string name = pattern[(i + 3)..close];
                        sb.Append('\\').Append(n).Append('{').Append(PropertyName(name, where)).Append('}');
                        i = close;
                    }
                    else if (n is 'h' or 'A' or 'z' or 'Z' or 'G' || char.IsLetterOrDigit(n) && "dDwWsSbBnrtfvexu0123456789".IndexOf(n) < 0)
                        throw new NotSupportedException($"{where}: the escape \\{n} has no .NET equivalent (pattern {pattern}).");
                    else { sb.Append('\\').Append(n); i++; }
                    lastAtom = start;
                    break;
                }
                case '[':
                {
                    int start = sb.Length;
                    i = CopyClass(pattern, i, sb, where);
                    lastAtom = start;
                    break;
                }
                case '(':
                    atomStarts.Push(sb.Length);
                    sb.Append(c);
                    lastAtom = -1;
                    break;
                case ')':
                    sb.Append(c);
                    lastAtom = atomStarts.Count > 0 ? atomStarts.Pop() : throw new FormatException($"{where}: unbalanced ')' in the pattern.");
                    break;
                case '*' or '+' or '?' or '{':
                {
                    int qStart = sb.Length;
                    if (c == '{')
                    {
                        int close = pattern.IndexOf('}', i);
                        if (close < 0) { sb.Append(c); lastAtom = qStart; break; }
                        sb.Append(pattern, i, close - i + 1);
                        i = close;
                    }
                    else sb.Append(c);
                    if (i + 1 < pattern.Length && pattern[i + 1] == '+' && lastAtom >= 0)
                    {
                        // Possessive: (?>atom quantifier)
                        sb.Insert(lastAtom, "(?>");
                        sb.Append(')');
                        i++;
                    }
                    else if (i + 1 < pattern.Length && pattern[i + 1] == '?') { sb.Append('?'); i++; }
                    lastAtom = -1;
                    break;
                }
                default:
                    lastAtom = sb.Length;
                    sb.Append(c);
                    break;
            }
        }
        try { return new Regex(sb.ToString(), RegexOptions.CultureInvariant | RegexOptions.Compiled); }
        catch (ArgumentException e) { throw new FormatException($"{where}: the pattern {pattern} is not a valid regular expression: {e.Message}"); }
    }

    private static int CopyClass(string pattern, int i, StringBuilder sb, string where)
    {
        sb.Append('[');
        i++;
        if (i < pattern.Length && pattern[i] == '^') { sb.Append('^'); i++; }
        if (i < pattern.Length && pattern[i] == ']') { sb.Append("\\]"); i++; }
        for (; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == ']') { sb.Append(']'); return i; }
            if (c == '[') throw new NotSupportedException($"{where}: nested character classes ([[...]]) are not supported (pattern {pattern}).");
            if (c == '\\' && i + 1 < pattern.Length)
            {
                char n = pattern[i + 1];
                if (n is 'p' or 'P' && i + 2 < pattern.Length && pattern[i + 2] == '{')
                {
                    int close = pattern.IndexOf('}', i + 3);
                    if (close < 0) throw new FormatException($"{where}: unterminated \\{n}{{ in the pattern.");
                    sb.Append('\\').Append(n).Append('{').Append(PropertyName(pattern[(i + 3)..close], where)).Append('}');
                    i = close;
                }
                else { sb.Append(c).Append(n); i++; }
                continue;
            }
            sb.Append(c);
        }
        throw new FormatException($"{where}: unterminated character class in the pattern {pattern}.");
    }

    private static string PropertyName(string name, string where)
    {
        if (ShortNames.Contains(name)) return name;
        if (LongNames.TryGetValue(name, out var s)) return s;
        throw new NotSupportedException($"{where}: the Unicode property \\p{{{name}}} is not supported (general categories only).");
    }
}
