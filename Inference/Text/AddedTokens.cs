using System.Text.RegularExpressions;

namespace SteerMoE.Research.Inference.Text;

/// <summary>One entry of tokenizer.json's <c>added_tokens</c>.</summary>
/// <param name="Id">The token id.</param>
/// <param name="Content">The token's text.</param>
/// <param name="Special">Whether it is a special token (skipped by decode when asked).</param>
/// <param name="LeftStrip">lstrip: the match absorbs whitespace on its left.</param>
/// <param name="RightStrip">rstrip: the match absorbs whitespace on its right.</param>
/// <param name="SingleWord">single_word: matches only when not inside a word.</param>
/// <param name="Normalized">normalized: in Hugging Face, matched on normalized text (see the matcher's note).</param>
public sealed record AddedToken(int Id, string Content, bool Special, bool LeftStrip, bool RightStrip, bool SingleWord, bool Normalized);

/// <summary>
/// Finds added tokens in the input before normalization, leftmost first, the longest at a position.
/// Tokens marked normalized are matched on the raw text too: identical whenever the normalizer leaves the
/// token's text unchanged (true of the supported models' added tokens).
/// </summary>
internal sealed class AddedTokenMatcher
{
    private readonly Regex? _regex;
    private readonly Dictionary<string, AddedToken> _byShadow = new(StringComparer.Ordinal);

    public AddedTokenMatcher(IReadOnlyList<AddedToken> tokens)
    {
        var usable = tokens.Where(t => t.Content.Length > 0).OrderByDescending(t => t.Content.Length).ToList();
        foreach (var t in usable) _byShadow.TryAdd(CodePointText.Shadow(CodePointText.FromString(t.Content)), t);
        if (_byShadow.Count > 0)
            _regex = new Regex(string.Join("|", _byShadow.Keys.Select(Regex.Escape)), RegexOptions.CultureInvariant | RegexOptions.Compiled);
    }

    /// <summary>Matches as (start, end, token) in code points of the text whose shadow is <paramref name="shadow"/>.</summary>
    public List<(int Start, int End, AddedToken Token)> Find(string shadow)
    {
        var result = new List<(int, int, AddedToken)>();
        if (_regex == null) return result;
        int floor = 0;
        for (var m = _regex.Match(shadow); m.Success; m = m.NextMatch())
        {
            var token = _byShadow[m.Value];
            int s = m.Index, e = m.Index + m.Length;
            if (token.SingleWord && (s > 0 && IsWordChar(shadow[s - 1]) || e < shadow.Length && IsWordChar(shadow[e]))) continue;
            if (token.LeftStrip) while (s > floor && char.IsWhiteSpace(shadow[s - 1])) s--;
            if (token.RightStrip) while (e < shadow.Length && char.IsWhiteSpace(shadow[e])) e++;
            if (result.Count > 0 && s < result[^1].Item2) continue;
            result.Add((s, e, token));
            floor = e;
        }
        return result;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
}
