using System.Text.Json;

namespace SteerMoE.Research.Inference.Text;

/// <summary>Reads fields of tokenizer.json with errors that name the file, the field path and what was expected.</summary>
internal readonly struct TokenizerJson
{
    public readonly JsonElement Element;
    public readonly string Source;
    public readonly string Path;

    public TokenizerJson(JsonElement element, string source, string path) { Element = element; Source = source; Path = path; }

    public bool IsNull => Element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    public TokenizerJson Child(string name) =>
        new(Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty(name, out var v) ? v : default, Source, $"{Path}.{name}");

    public IEnumerable<TokenizerJson> Items()
    {
        if (Element.ValueKind != JsonValueKind.Array) throw Error("a list");
        int i = 0;
        foreach (var e in Element.EnumerateArray()) yield return new TokenizerJson(e, Source, $"{Path}[{i++}]");
    }

    /// <summary>The fields of an object, each with its path (no lookup by name: vocabularies have 100,000s of fields).</summary>
    public IEnumerable<(string Name, TokenizerJson Value)> Entries()
    {
        if (Element.ValueKind != JsonValueKind.Object) throw Error("an object");
        foreach (var p in Element.EnumerateObject()) yield return (p.Name, new TokenizerJson(p.Value, Source, $"{Path}.{p.Name}"));
    }

    public string Type => Child("type").String();

    public string String()
    {
        if (Element.ValueKind != JsonValueKind.String) throw Error("a string");
        return Element.GetString()!;
    }

    public string? StringOrNull(string name)
    {
        var c = Child(name);
        return c.IsNull ? null : c.String();
    }

    public bool Bool(string name, bool fallback)
    {
        var c = Child(name);
        if (c.IsNull) return fallback;
        if (c.Element.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw c.Error("true or false");
        return c.Element.GetBoolean();
    }

    public int Int(string name) => Child(name).IntValue();

    /// <summary>This element as a 32-bit integer (an id, a count).</summary>
    public int IntValue()
    {
        if (Element.ValueKind != JsonValueKind.Number || !Element.TryGetInt32(out int v)) throw Error("an integer");
        return v;
    }

    /// <summary>The largest token id accepted (2^24 − 1; real vocabularies stop near 262,144): ids index arrays.</summary>
    public const int MaxTokenId = (1 << 24) - 1;

    /// <summary>This element as a token id, 0..<see cref="MaxTokenId"/>.</summary>
    public int TokenId()
    {
        int id = IntValue();
        if (id < 0 || id > MaxTokenId) throw Error($"a token id in 0..{MaxTokenId}");
        return id;
    }

    /// <summary>This element as a number.</summary>
    public double NumberValue()
    {
        if (Element.ValueKind != JsonValueKind.Number) throw Error("a number");
        return Element.GetDouble();
    }

    public FormatException Error(string expected) =>
        new($"{Source}: {Path}: expected {expected}, found {Describe(Element)}.");

    public NotSupportedException Unsupported(string what) =>
        new($"{Source}: {Path}: {what} is not supported by the SteerMoE tokenizer.");

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Undefined => "nothing (field missing)",
        JsonValueKind.String => $"the string \"{Truncate(e.GetString()!)}\"",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        _ => e.GetRawText(),
    };

    private static string Truncate(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
