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

    public int Int(string name)
    {
        var c = Child(name);
        if (c.Element.ValueKind != JsonValueKind.Number || !c.Element.TryGetInt32(out int v)) throw c.Error("an integer");
        return v;
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
