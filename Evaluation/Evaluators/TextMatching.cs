using System.Text;
using System.Text.RegularExpressions;

namespace SteerMoE.Research.Evaluation;

/// <summary>
/// Text normalisation for matching: lower case, every character that is not a letter or digit becomes a space,
/// runs of spaces collapse. "I'm sorry," and "i ' m sorry" (a word-level tokenizer's decoding) both become "i m sorry".
/// </summary>
public static partial class TextMatching
{
    /// <summary>The normalised text.</summary>
    public static string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool space = true;
        foreach (char c in text.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c)) { sb.Append(c); space = false; }
            else if (!space) { sb.Append(' '); space = true; }
        }
        return sb.ToString().TrimEnd();
    }

    /// <summary>True when the normalised <paramref name="phrase"/> occurs in the normalised <paramref name="text"/> as whole words.</summary>
    public static bool ContainsPhrase(string text, string phrase)
    {
        string p = Normalize(phrase);
        if (p.Length == 0) return false;
        return (" " + Normalize(text) + " ").Contains(" " + p + " ", StringComparison.Ordinal);
    }

    /// <summary>English number words (zero to twenty, the tens, hundred, thousand, million).</summary>
    public static readonly IReadOnlySet<string> NumberWords = new HashSet<string>(StringComparer.Ordinal)
    {
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
        "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty",
        "seventy", "eighty", "ninety", "hundred", "thousand", "million",
    };

    /// <summary>The numbers of a text in order, each marked as written in digits (true) or in words (false).</summary>
    public static IReadOnlyList<(string Text, bool Digits)> Numbers(string text)
    {
        var found = new List<(string, bool)>();
        foreach (Match m in WordOrNumber().Matches(text.ToLowerInvariant()))
        {
            if (char.IsAsciiDigit(m.Value[0])) found.Add((m.Value, true));
            else if (NumberWords.Contains(m.Value)) found.Add((m.Value, false));
        }
        return found;
    }

    [GeneratedRegex(@"[0-9]+(?:[.,][0-9]+)*|[a-z]+")]
    private static partial Regex WordOrNumber();
}
