using System.Text.Json;

namespace SteerMoE.Research.Inference.Files;

/// <summary>
/// Parses the JSON files users give (config.json, tokenizer.json, PLAN.json, index files, JSONL rows…) under one
/// policy: strict UTF-8, standard JSON (no comments, no trailing commas), nesting at most <see cref="MaxDepth"/>, and
/// every string valid Unicode (an escaped lone surrogate such as <c>"\ud800"</c> parses but cannot be read as text).
/// Every refusal is a <see cref="FormatException"/> starting with the source and saying where and what was expected.
/// </summary>
public static class StrictJson
{
    /// <summary>The deepest nesting accepted (tokenizer.json's deepest real nesting is about 8).</summary>
    public const int MaxDepth = 128;

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = MaxDepth };

    /// <summary>Reads and parses a JSON file (its bytes parsed as they are, once checked to be UTF-8).</summary>
    public static JsonDocument ParseFile(string path)
    {
        byte[] bytes = StrictUtf8.ReadBytes(path);
        int start = StrictUtf8.Validate(bytes, path);
        var utf8 = bytes.AsMemory(start);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(utf8, Options); }
        catch (JsonException e) { throw Invalid(e, path, utf8.Span.Contains((byte)'\n')); }
        return Checked(doc, path);
    }

    /// <summary>Parses JSON text; <paramref name="source"/> (file, and line for JSONL) prefixes every error.</summary>
    public static JsonDocument Parse(string json, string source)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, Options); }
        catch (JsonException e) { throw Invalid(e, source, json.Contains('\n')); }
        return Checked(doc, source);
    }

    private static FormatException Invalid(JsonException e, string source, bool multiline) =>
        new($"{source}: not valid JSON{Where(e, multiline)}: {Describe(e)}");

    /// <summary><paramref name="doc"/>, once every string in it is valid Unicode; disposed and refused otherwise.</summary>
    private static JsonDocument Checked(JsonDocument doc, string source)
    {
        try { RequireText(doc.RootElement, [], source); }
        catch { doc.Dispose(); throw; }
        return doc;
    }

    /// <summary>" at line L, byte B" of a parse error (1-based; the line only for multi-line text), or "" when the reader did not say.</summary>
    private static string Where(JsonException e, bool multiline) =>
        e.LineNumber is not long line ? ""
        : multiline ? $" at line {line + 1}, byte {(e.BytePositionInLine ?? 0) + 1}"
        : $" at byte {(e.BytePositionInLine ?? 0) + 1}";

    /// <summary>System.Text.Json's message without its own " LineNumber: … | BytePositionInLine: …" suffix.</summary>
    private static string Describe(JsonException e)
    {
        string m = e.Message;
        int cut = m.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return cut >= 0 ? m[..cut] : m;
    }

    /// <summary>Walks the tree; <paramref name="path"/> holds the field names and indices down to <paramref name="e"/>
    /// (the JSON path is spelled out only for an error: a tokenizer.json has 100,000s of strings).</summary>
    private static void RequireText(JsonElement e, List<object> path, string source)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                if (!IsText(e)) throw new FormatException($"{source}: {Spell(path)}: the string holds an unpaired surrogate escape (such as \\ud800); expected valid Unicode text.");
                break;
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    string name;
                    try { name = p.Name; }
                    catch (InvalidOperationException) { throw new FormatException($"{source}: {Spell(path)}: a field name holds an unpaired surrogate escape (such as \\ud800); expected valid Unicode text."); }
                    path.Add(name);
                    RequireText(p.Value, path, source);
                    path.RemoveAt(path.Count - 1);
                }
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in e.EnumerateArray())
                {
                    path.Add(i++);
                    RequireText(item, path, source);
                    path.RemoveAt(path.Count - 1);
                }
                break;
        }
    }

    /// <summary>"$.model.vocab", "$.architectures[0]".</summary>
    private static string Spell(List<object> path) =>
        "$" + string.Concat(path.Select(s => s is int i ? $"[{i}]" : $".{s}"));

    private static bool IsText(JsonElement e)
    {
        try { e.GetString(); return true; }
        catch (InvalidOperationException) { return false; }
    }
}
