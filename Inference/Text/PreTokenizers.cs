using System.Globalization;
using System.Text.RegularExpressions;

namespace SteerMoE.Research.Inference.Text;

/// <summary>A tokenizer.json pre-tokenizer: splits normalized text into pieces the model encodes separately.</summary>
internal abstract class PreTokenizer
{
    /// <summary>Splits every piece of <paramref name="pieces"/>.</summary>
    public abstract List<NormalizedText> Apply(List<NormalizedText> pieces);

    /// <summary>True when pieces leave this stage as byte-level text (the model sees UTF-8 bytes).</summary>
    public virtual bool IsByteLevel => false;

    /// <summary>GPT-2's split pattern, used by ByteLevel with use_regex.</summary>
    internal const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static PreTokenizer? Parse(TokenizerJson json)
    {
        if (json.IsNull) return null;
        string type = json.Type;
        return type switch
        {
            "Sequence" => new SequencePreTokenizer(json.Child("pretokenizers").Items().Select(Parse).OfType<PreTokenizer>().ToArray()),
            "ByteLevel" => new ByteLevelPreTokenizer(json.Bool("add_prefix_space", true), json.Bool("use_regex", true)),
            "Split" => new SplitPreTokenizer(Pattern.Parse(json.Child("pattern")), Behavior(json.Child("behavior")), json.Bool("invert", false)),
            "Metaspace" => ParseMetaspace(json),
            "Digits" => new CharacterSplitPreTokenizer(IsDigit, json.Bool("individual_digits", false) ? SplitBehavior.Isolated : SplitBehavior.Contiguous),
            "Punctuation" => new CharacterSplitPreTokenizer(IsPunctuation, json.Child("behavior").IsNull ? SplitBehavior.Isolated : Behavior(json.Child("behavior"))),
            "Whitespace" => new SplitPreTokenizer(Pattern.FromRegex(@"\w+|[^\w\s]+", $"{json.Source}: {json.Path}"), SplitBehavior.Removed, invert: true),
            "WhitespaceSplit" => new SplitPreTokenizer(Pattern.FromRegex(@"\s+", $"{json.Source}: {json.Path}"), SplitBehavior.Removed, invert: false),
            _ => throw json.Child("type").Unsupported($"the pre-tokenizer \"{type}\" (supported: Sequence, ByteLevel, Split, Metaspace, Digits, Punctuation, Whitespace, WhitespaceSplit)"),
        };
    }

    private static bool IsDigit(int cp) => CharUnicodeInfo.GetUnicodeCategory(cp) == UnicodeCategory.DecimalDigitNumber;

    /// <summary>ASCII punctuation and symbols, or a Unicode punctuation category (as the tokenizers library counts them).</summary>
    private static bool IsPunctuation(int cp) =>
        cp < 128 ? cp > 32 && cp < 127 && !char.IsAsciiLetterOrDigit((char)cp)
        : CharUnicodeInfo.GetUnicodeCategory(cp) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    internal static MetaspacePreTokenizer ParseMetaspace(TokenizerJson json)
    {
        string replacement = json.Child("replacement").IsNull ? "\u2581" : json.Child("replacement").String();
        string scheme = json.StringOrNull("prepend_scheme") ?? (json.Bool("add_prefix_space", true) ? "always" : "never");
        if (scheme is not ("always" or "first" or "never")) throw json.Child("prepend_scheme").Error("\"always\", \"first\" or \"never\"");
        var cps = CodePointText.FromString(replacement);
        if (cps.Length != 1) throw json.Child("replacement").Error("a single character");
        return new MetaspacePreTokenizer(cps[0], scheme, json.Bool("split", true));
    }

    private static SplitBehavior Behavior(TokenizerJson json) => json.String() switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        _ => throw json.Error("one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous"),
    };

    /// <summary>Splits <paramref name="piece"/> around <paramref name="matches"/> as the behaviour says.</summary>
    internal static void Split(NormalizedText piece, List<(int Start, int End)> matches, SplitBehavior behavior, bool invert, List<NormalizedText> output)
    {
        // Cover the piece with (start, end, isMatch) runs.
        var runs = new List<(int S, int E, bool M)>(matches.Count * 2 + 1);
        int pos = 0;
        foreach (var (s, e) in matches)
        {
            if (s > pos) runs.Add((pos, s, invert));
            runs.Add((s, e, !invert));
            pos = e;
        }
        if (pos < piece.Length) runs.Add((pos, piece.Length, invert));

        var spans = new List<(int S, int E)>(runs.Count);
        switch (behavior)
        {
            case SplitBehavior.Removed:
                foreach (var r in runs) if (!r.M) spans.Add((r.S, r.E));
                break;
            case SplitBehavior.Isolated:
                foreach (var r in runs) spans.Add((r.S, r.E));
                break;
            case SplitBehavior.Contiguous:
                for (int k = 0; k < runs.Count; k++)
                    if (runs[k].M && k > 0 && runs[k - 1].M) spans[^1] = (spans[^1].S, runs[k].E);
                    else spans.Add((runs[k].S, runs[k].E));
                break;
            case SplitBehavior.MergedWithPrevious:
            {
                bool previousIsGap = false;
                foreach (var r in runs)
                {
                    if (r.M && previousIsGap) spans[^1] = (spans[^1].S, r.E);
                    else spans.Add((r.S, r.E));
                    previousIsGap = !r.M;
                }
                break;
            }
            case SplitBehavior.MergedWithNext:
            {
                bool pendingMatch = false;
                foreach (var r in runs)
                {
                    if (!r.M && pendingMatch) spans[^1] = (spans[^1].S, r.E);
                    else spans.Add((r.S, r.E));
                    pendingMatch = r.M;
                }
                break;
            }
        }
        foreach (var (s, e) in spans)
            if (e > s) output.Add(s == 0 && e == piece.Length ? piece : piece.Slice(s, e));
    }
}

internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

internal sealed class SequencePreTokenizer(PreTokenizer[] parts) : PreTokenizer
{
    public override bool IsByteLevel => parts.Any(p => p.IsByteLevel);

    public override List<NormalizedText> Apply(List<NormalizedText> pieces)
    {
        foreach (var p in parts) pieces = p.Apply(pieces);
        return pieces;
    }
}

internal sealed class SplitPreTokenizer(Pattern pattern, SplitBehavior behavior, bool invert) : PreTokenizer
{
    public override List<NormalizedText> Apply(List<NormalizedText> pieces)
    {
        var output = new List<NormalizedText>(pieces.Count * 4);
        foreach (var piece in pieces) Split(piece, pattern.Matches(piece), behavior, invert, output);
        return output;
    }
}

internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : PreTokenizer
{
    private static readonly Lazy<SplitPreTokenizer> Gpt2 = new(() => new SplitPreTokenizer(
        Pattern.FromRegex(Gpt2Pattern, "ByteLevel pre-tokenizer"), SplitBehavior.Isolated, false));

    public override bool IsByteLevel => true;

    public override List<NormalizedText> Apply(List<NormalizedText> pieces)
    {
        if (addPrefixSpace)
            pieces = pieces.Select(p => p.Length > 0 && p.CodePoints[0] != ' ' ? p.Prepend(' ') : p).ToList();
        return useRegex ? Gpt2.Value.Apply(pieces) : pieces;
    }
}

internal sealed class MetaspacePreTokenizer(int replacement, string prependScheme, bool split) : PreTokenizer
{
    public override List<NormalizedText> Apply(List<NormalizedText> pieces)
    {
        var output = new List<NormalizedText>(pieces.Count * 4);
        foreach (var original in pieces)
        {
            var piece = Normalize(original);
            if (!split) { output.Add(piece); continue; }
            var matches = new List<(int, int)>();
            for (int i = 0; i < piece.Length; i++) if (piece.CodePoints[i] == replacement) matches.Add((i, i + 1));
            Split(piece, matches, SplitBehavior.MergedWithNext, false, output);
        }
        return output;
    }

    /// <summary>Spaces become the replacement; the replacement is prepended as the scheme says.</summary>
    internal NormalizedText Normalize(NormalizedText piece)
    {
        var spaces = new List<(int, int)>();
        for (int i = 0; i < piece.Length; i++) if (piece.CodePoints[i] == ' ') spaces.Add((i, i + 1));
        piece = piece.Replace(spaces, [replacement]);
        bool prepend = prependScheme == "always" || prependScheme == "first" && piece.Length > 0 && piece.Alignment[0].Start == 0;
        if (prepend && piece.Length > 0 && piece.CodePoints[0] != replacement) piece = piece.Prepend(replacement);
        return piece;
    }
}

/// <summary>Splits around single characters of a class (Digits, Punctuation).</summary>
internal sealed class CharacterSplitPreTokenizer(Func<int, bool> matches, SplitBehavior behavior) : PreTokenizer
{
    public override List<NormalizedText> Apply(List<NormalizedText> pieces)
    {
        var output = new List<NormalizedText>();
        foreach (var piece in pieces)
        {
            var found = new List<(int, int)>();
            for (int i = 0; i < piece.Length; i++) if (matches(piece.CodePoints[i])) found.Add((i, i + 1));
            Split(piece, found, behavior, false, output);
        }
        return output;
    }
}
