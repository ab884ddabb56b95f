using System.Text;
using System.Text.Json;

namespace SteerMoE.Research.Data.Pairs;

/// <summary>The pairs a builder made, how many source rows it read, and why the others were left out (reason → count).</summary>
public sealed record BuiltPairs(IReadOnlyList<PairedExample> Pairs, int RowsRead, IReadOnlyDictionary<string, int> Skipped);

/// <summary>
/// Builds paired datasets from standard local files, as the paper does (STEERMOE.md §5):
/// SQuAD-format JSON → faithfulness pairs, BeaverTails-style JSONL → safety pairs, two text lists → any pairs.
/// </summary>
public static class PairBuilders
{
    /// <summary>The paper's fixed refusal, the safe side of its safety pairs.</summary>
    public const string DefaultRefusal = "I'm sorry, but I can't assist with that.";

    /// <summary>
    /// SQuAD (v1.1 or v2.0 format: data[].paragraphs[].{context, qas[].question}) → faithfulness pairs:
    /// side 1 "Document: {context} Question: {question}", side 2 "Question: {question}", both counting the
    /// question span. Questions are taken in file order; <paramref name="limit"/> stops early;
    /// <paramref name="skipUnanswerable"/> leaves out v2.0's is_impossible questions.
    /// </summary>
    public static BuiltPairs FromSquad(string path, int? limit = null, bool skipUnanswerable = false)
    {
        CheckLimit(limit);
        using var doc = ParseJsonFile(path);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            throw new FormatException($"{path}: field 'data': expected a list of articles (SQuAD format: data[].paragraphs[].qas[]).");
        var pairs = new List<PairedExample>();
        var skipped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int read = 0, a = 0;
        foreach (var article in data.EnumerateArray())
        {
            var paragraphs = RequireArray(article, "paragraphs", $"{path}: data[{a}]");
            int p = 0;
            foreach (var paragraph in paragraphs.EnumerateArray())
            {
                string at = $"{path}: data[{a}].paragraphs[{p}]";
                string context = RequireString(paragraph, "context", at).Trim();
                int q = 0;
                foreach (var qa in RequireArray(paragraph, "qas", at).EnumerateArray())
                {
                    if (limit is { } max && pairs.Count >= max) return new BuiltPairs(pairs, read, skipped);
                    read++;
                    string question = RequireString(qa, "question", $"{at}.qas[{q++}]").Trim();
                    if (question.Length == 0) { Count(skipped, "empty question"); continue; }
                    if (skipUnanswerable && qa.TryGetProperty("is_impossible", out var imp) && imp.ValueKind == JsonValueKind.True)
                    { Count(skipped, "unanswerable (is_impossible)"); continue; }
                    pairs.Add(PairedExample.UserOnly($"Document: {context} Question: {question}", $"Question: {question}", question, question));
                }
                p++;
            }
            a++;
        }
        return new BuiltPairs(pairs, read, skipped);
    }

    /// <summary>
    /// BeaverTails-style JSONL (one object per line with <c>prompt</c>, <c>response</c>, <c>is_safe</c>) → safety
    /// pairs from the unsafe rows: side 1 a refusal, side 2 the dataset's unsafe answer, both after the same user
    /// prompt and both counting the assistant's answer. Refusals are used in turn (row i gets refusal i mod R);
    /// the default list is the paper's single fixed refusal.
    /// </summary>
    public static BuiltPairs FromBeaverTails(string path, IReadOnlyList<string>? refusals = null, int? limit = null)
    {
        CheckLimit(limit);
        refusals ??= [DefaultRefusal];
        if (refusals.Count == 0 || refusals.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("refusals: expected at least one non-empty refusal.");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (expected BeaverTails-style JSONL).", path);
        var pairs = new List<PairedExample>();
        var skipped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int read = 0;
        foreach (var (number, line) in JsonLines.NonBlank(path))
        {
            if (limit is { } max && pairs.Count >= max) break;
            read++;
            string at = $"{path}: line {number}";
            using var doc = JsonLines.ParseObject(line, at, "prompt, response, is_safe");
            var row = doc.RootElement;
            string prompt = RequireString(row, "prompt", at), response = RequireString(row, "response", at);
            if (!row.TryGetProperty("is_safe", out var safe) || safe.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                throw new FormatException($"{at}: field 'is_safe': expected true or false.");
            if (safe.ValueKind == JsonValueKind.True) { Count(skipped, "safe response (is_safe = true)"); continue; }
            if (string.IsNullOrWhiteSpace(prompt) || string.IsNullOrWhiteSpace(response)) { Count(skipped, "empty prompt or response"); continue; }
            pairs.Add(PairedExample.Answers(prompt, refusals[pairs.Count % refusals.Count], response.Trim()));
        }
        return new BuiltPairs(pairs, read, skipped);
    }

    /// <summary>
    /// Two plain text files, one item a line: line i of <paramref name="pathA"/> (side 1) against line i of
    /// <paramref name="pathB"/> (side 2). With a <paramref name="prompt"/> the lines are the assistant's answers to
    /// it; without, each line is the user message itself. The lines are the targets. Blank lines are errors
    /// (they would shift the alignment); the files must have the same number of lines.
    /// </summary>
    public static BuiltPairs FromTextLists(string pathA, string pathB, string? prompt = null)
    {
        var a = ReadList(pathA);
        var b = ReadList(pathB);
        if (a.Count != b.Count) throw new FormatException($"{pathA}, {pathB}: {a.Count} and {b.Count} lines; line i of one is paired with line i of the other, so the counts must match.");
        if (prompt is not null && prompt.Trim().Length == 0) throw new ArgumentException("--prompt: expected a non-empty prompt (or leave it out).");
        var pairs = new List<PairedExample>(a.Count);
        for (int i = 0; i < a.Count; i++)
            pairs.Add(prompt is null ? PairedExample.UserOnly(a[i], b[i], a[i], b[i]) : PairedExample.Answers(prompt, a[i], b[i]));
        return new BuiltPairs(pairs, a.Count, new SortedDictionary<string, int>());
    }

    /// <summary>Reads a list file (one item a line, e.g. refusals); blank lines are errors naming the line.</summary>
    public static IReadOnlyList<string> ReadList(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (expected a text list, one item a line).", path);
        var lines = File.ReadAllLines(path, Encoding.UTF8);
        for (int i = 0; i < lines.Length; i++)
            if (string.IsNullOrWhiteSpace(lines[i])) throw new FormatException($"{path}: line {i + 1}: blank; every line is one item (a blank line would shift the pairing).");
        if (lines.Length == 0) throw new FormatException($"{path}: empty; expected one item a line.");
        return lines.Select(l => l.Trim()).ToArray();
    }

    private static void CheckLimit(int? limit)
    {
        if (limit is < 1) throw new ArgumentException($"--limit: {limit}: expected a count >= 1.");
    }

    private static void Count(IDictionary<string, int> skipped, string reason) => skipped[reason] = skipped.TryGetValue(reason, out int n) ? n + 1 : 1;

    private static JsonDocument ParseJsonFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (expected SQuAD-format JSON).", path);
        using var stream = File.OpenRead(path);
        try { return JsonDocument.Parse(stream); }
        catch (JsonException e) { throw new FormatException($"{path}: not valid JSON (line {e.LineNumber + 1}): {e.Message}"); }
    }

    private static JsonElement RequireArray(JsonElement obj, string field, string at) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Array ? v
        : throw new FormatException($"{at}: field '{field}': expected a list.");

    private static string RequireString(JsonElement obj, string field, string at) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
        : throw new FormatException($"{at}: field '{field}': expected a string.");
}
