using System.Text;

namespace SteerMoE.Research.Inference.Text;

/// <summary>A tokenizer.json normalizer: rewrites text before pre-tokenization, keeping the alignment.</summary>
internal abstract class Normalizer
{
    public abstract NormalizedText Apply(NormalizedText text);

    /// <summary>Builds the normalizer of <paramref name="json"/> (null when the field is null).</summary>
    public static Normalizer? Parse(TokenizerJson json)
    {
        if (json.IsNull) return null;
        string type = json.Type;
        return type switch
        {
            "Sequence" => new SequenceNormalizer(json.Child("normalizers").Items().Select(Parse).OfType<Normalizer>().ToArray()),
            "NFC" => new FormNormalizer(NormalizationForm.FormC),
            "NFD" => new FormNormalizer(NormalizationForm.FormD),
            "NFKC" => new FormNormalizer(NormalizationForm.FormKC),
            "NFKD" => new FormNormalizer(NormalizationForm.FormKD),
            "Lowercase" => new LowercaseNormalizer(),
            "Prepend" => new PrependNormalizer(CodePointText.FromString(json.Child("prepend").String())),
            "Replace" => new ReplaceNormalizer(Pattern.Parse(json.Child("pattern")), CodePointText.FromString(json.Child("content").String())),
            "Strip" => new StripNormalizer(json.Bool("strip_left", true), json.Bool("strip_right", true)),
            _ => throw json.Child("type").Unsupported($"the normalizer \"{type}\" (supported: Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip)"),
        };
    }
}

internal sealed class SequenceNormalizer(Normalizer[] parts) : Normalizer
{
    public override NormalizedText Apply(NormalizedText text)
    {
        foreach (var p in parts) text = p.Apply(text);
        return text;
    }
}

internal sealed class FormNormalizer(NormalizationForm form) : Normalizer
{
    public override NormalizedText Apply(NormalizedText text) => text.Normalize(form);
}

internal sealed class LowercaseNormalizer : Normalizer
{
    public override NormalizedText Apply(NormalizedText text) =>
        text.MapEach(cp => char.ConvertFromUtf32(cp).ToLowerInvariant());
}

internal sealed class PrependNormalizer(int[] prepend) : Normalizer
{
    public override NormalizedText Apply(NormalizedText text)
    {
        if (text.Length == 0) return text;
        for (int i = prepend.Length - 1; i >= 0; i--) text = text.Prepend(prepend[i]);
        return text;
    }
}

internal sealed class StripNormalizer(bool left, bool right) : Normalizer
{
    public override NormalizedText Apply(NormalizedText text)
    {
        int s = 0, e = text.Length;
        if (left) while (s < e && IsWhiteSpace(text.CodePoints[s])) s++;
        if (right) while (e > s && IsWhiteSpace(text.CodePoints[e - 1])) e--;
        return s == 0 && e == text.Length ? text : text.Slice(s, e);
    }

    private static bool IsWhiteSpace(int cp) => cp < 0x10000 && char.IsWhiteSpace((char)cp);
}

internal sealed class ReplaceNormalizer(Pattern pattern, int[] content) : Normalizer
{
    public override NormalizedText Apply(NormalizedText text) => text.Replace(pattern.Matches(text), content);
}

/// <summary>A tokenizer.json pattern: <c>{"String": s}</c> (literal) or <c>{"Regex": r}</c>.</summary>
internal sealed class Pattern
{
    private readonly int[]? _literal;
    private readonly System.Text.RegularExpressions.Regex? _regex;

    private Pattern(int[]? literal, System.Text.RegularExpressions.Regex? regex) { _literal = literal; _regex = regex; }

    public static Pattern Parse(TokenizerJson json)
    {
        var s = json.Child("String");
        if (!s.IsNull) return new Pattern(CodePointText.FromString(s.String()), null);
        var r = json.Child("Regex");
        if (!r.IsNull) return new Pattern(null, RegexTranslation.Translate(r.String(), $"{json.Source}: {r.Path}"));
        throw json.Error("{\"String\": ...} or {\"Regex\": ...}");
    }

    /// <summary>A pattern from a regular expression written in the code (not read from tokenizer.json).</summary>
    public static Pattern FromRegex(string regex, string where) => new(null, RegexTranslation.Translate(regex, where));

    /// <summary>Non-overlapping matches, as code point ranges, left to right.</summary>
    public List<(int Start, int End)> Matches(NormalizedText text)
    {
        var result = new List<(int, int)>();
        if (_regex != null)
        {
            foreach (System.Text.RegularExpressions.Match m in _regex.Matches(text.Shadow))
                if (m.Length > 0) result.Add((m.Index, m.Index + m.Length));
            return result;
        }
        var lit = _literal!;
        if (lit.Length == 0) return result;
        var cps = text.CodePoints;
        for (int i = 0; i + lit.Length <= cps.Length;)
        {
            if (cps.AsSpan(i, lit.Length).SequenceEqual(lit)) { result.Add((i, i + lit.Length)); i += lit.Length; }
            else i++;
        }
        return result;
    }

    /// <summary>Replaces matches in a plain string (decoders).</summary>
    public string Replace(string text, string content)
    {
        if (_regex != null) return _regex.Replace(text, content.Replace("$", "$$"));
        return _literal!.Length == 0 ? text : text.Replace(CodePointText.ToUtf16(_literal, 0, _literal.Length), content);
    }
}
