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

    /// <summary>Reads and parses a JSON file.</summary>
    public static JsonDocument ParseFile(string path) => Parse(StrictUtf8.ReadFile(path), path);

    /// <summary>Parses JSON text; <paramref name="source"/> (file, and line for JSONL) prefixes every error.</summary>
    public static JsonDocument Parse(string json, string source)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, Options); }
        catch (JsonException e) { throw new FormatException($"{source}: not valid JSON{Where(e, json.Contains('\n'))}: {Describe(e)}"); }
        try { RequireText(doc.RootElement, "$", source); }
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

    private static void RequireText(JsonElement e, string path, string source)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                if (!IsText(e)) throw new FormatException($"{source}: {path}: the string holds an unpaired surrogate escape (such as \\ud800); expected valid Unicode text.");
                break;
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    string name;
                    try { name = p.Name; }
                    catch (InvalidOperationException) { throw new FormatException($"{source}: {path}: a field name holds an unpaired surrogate escape (such as \\ud800); expected valid Unicode text."); }
                    RequireText(p.Value, $"{path}.{name}", source);
                }
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in e.EnumerateArray()) RequireText(item, $"{path}[{i++}]", source);
                break;
        }
    }

    private static bool IsText(JsonElement e)
    {
        try { e.GetString(); return true; }
        catch (InvalidOperationException) { return false; }
    }
}
