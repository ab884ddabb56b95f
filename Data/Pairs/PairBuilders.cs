using System.Text;
using System.Text.Json;
using SteerMoE.Research.Data.Datasets;
using SteerMoE.Research.Inference.Files;

namespace SteerMoE.Research.Data.Pairs;

/// <summary>The pairs a builder made, how many source rows it read, and why the others were left out (reason → count).</summary>
public sealed record BuiltPairs(IReadOnlyList<PairedExample> Pairs, int RowsRead, IReadOnlyDictionary<string, int> Skipped);

/// <summary>
/// Builds paired datasets from standard local files, as the paper does (STEERMOE.md §5):
/// SQuAD (original JSON or Hugging Face rows) → faithfulness pairs, BeaverTails rows → safety pairs, two text lists → any pairs.
/// </summary>
public static class PairBuilders
{
    /// <summary>The paper's fixed refusal, the safe side of its safety pairs.</summary>
    public const string DefaultRefusal = "I'm sorry, but I can't assist with that.";

    /// <summary>
    /// SQuAD → faithfulness pairs: side 1 "Document: {context} Question: {question}", side 2 "Question: {question}",
    /// both counting the question span. Reads the original JSON (a <c>.json</c> file holding an object:
    /// data[].paragraphs[].{context, qas[].question}) or Hugging Face's flat rows (<c>rajpurkar/squad</c>,
    /// <c>squad_v2</c>: Parquet, JSONL, CSV, a JSON array or a folder of them, with <c>context</c>, <c>question</c>,
    /// <c>answers.text</c>). Questions are taken in file order; <paramref name="limit"/> stops early;
    /// <paramref name="skipUnanswerable"/> leaves out v2.0's unanswerable questions (<c>is_impossible</c>, or no
    /// answer text in the flat rows). No pairs at all is an error. <paramref name="rowsRead"/> (rows read, rows in the
    /// source) is called every <see cref="ProgressEvery"/> rows and at the end.
    /// </summary>
    public static BuiltPairs FromSquad(string path, int? limit = null, bool skipUnanswerable = false, Action<int, int>? rowsRead = null)
    {
        CheckLimit(limit);
        var built = IsNestedSquadJson(path) ? FromNestedSquad(path, limit, skipUnanswerable, rowsRead) : FromFlatSquad(path, limit, skipUnanswerable, rowsRead);
        return NotEmpty(built, path);
    }

    /// <summary>How many source rows a builder reads between two progress calls.</summary>
    public const int ProgressEvery = 1000;

    // The original distribution is one JSON object; every other shape is read as rows.
    private static bool IsNestedSquadJson(string path)
    {
        if (!File.Exists(path) || !path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return false;
        using var stream = File.OpenRead(path);
        int b;
        while ((b = stream.ReadByte()) is ' ' or '\t' or '\r' or '\n' or 0xEF or 0xBB or 0xBF) { }
        return b == '{';
    }

    private static BuiltPairs FromNestedSquad(string path, int? limit, bool skipUnanswerable, Action<int, int>? rowsRead)
    {
        using var doc = ParseJsonFile(path);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            throw new FormatException($"{path}: field 'data': expected a list of articles (SQuAD format: data[].paragraphs[].qas[]).");
        var pairs = new List<PairedExample>();
        var skipped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int read = 0, a = 0, total = rowsRead is null ? 0 : QuestionCount(data);
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
                    if (limit is { } max && pairs.Count >= max) return Done(new BuiltPairs(pairs, read, skipped), total, rowsRead);
                    Tick(rowsRead, read++, total);
                    string question = RequireString(qa, "question", $"{at}.qas[{q++}]").Trim();
                    bool unanswerable = qa.TryGetProperty("is_impossible", out var imp) && imp.ValueKind == JsonValueKind.True;
                    AddSquadPair(pairs, skipped, context, question, skipUnanswerable && unanswerable, "unanswerable (is_impossible)");
                }
                p++;
            }
            a++;
        }
        return Done(new BuiltPairs(pairs, read, skipped), total, rowsRead);
    }

    // The questions of a parsed SQuAD file (the rows its progress counts); malformed parts are left to the reader's errors.
    private static int QuestionCount(JsonElement data) =>
        data.EnumerateArray().Sum(article => article.ValueKind == JsonValueKind.Object && article.TryGetProperty("paragraphs", out var ps) && ps.ValueKind == JsonValueKind.Array
            ? ps.EnumerateArray().Sum(p => p.ValueKind == JsonValueKind.Object && p.TryGetProperty("qas", out var qs) && qs.ValueKind == JsonValueKind.Array ? qs.GetArrayLength() : 0)
            : 0);

    private static void Tick(Action<int, int>? rowsRead, int read, int total)
    {
        if (rowsRead is not null && read % ProgressEvery == 0) rowsRead(read, total);
    }

    // The source's rows count as all read once a builder is done (a --limit stops before the end).
    private static BuiltPairs Done(BuiltPairs built, int total, Action<int, int>? rowsRead)
    {
        rowsRead?.Invoke(total, total);
        return built;
    }

    private static BuiltPairs FromFlatSquad(string path, int? limit, bool skipUnanswerable, Action<int, int>? rowsRead)
    {
        var pairs = new List<PairedExample>();
        var skipped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int read = 0;
        var rows = DatasetFiles.Read(path);
        foreach (var row in rows)
        {
            if (limit is { } max && pairs.Count >= max) break;
            Tick(rowsRead, read++, rows.Count);
            string context = row.String("context").Trim(), question = row.String("question").Trim();
            // squad_v2 marks an unanswerable question by an empty answers.text list.
            bool unanswerable = skipUnanswerable && row.Object("answers").StringList("text").Count == 0;
            AddSquadPair(pairs, skipped, context, question, unanswerable, "unanswerable (no answer text)");
        }
        return Done(new BuiltPairs(pairs, read, skipped), rows.Count, rowsRead);
    }

    private static void AddSquadPair(List<PairedExample> pairs, IDictionary<string, int> skipped, string context, string question, bool skip, string skipReason)
    {
        if (question.Length == 0) { Count(skipped, "empty question"); return; }
        if (skip) { Count(skipped, skipReason); return; }
        pairs.Add(PairedExample.UserOnly($"Document: {context} Question: {question}", $"Question: {question}", question, question));
    }

    /// <summary>
    /// BeaverTails rows (<c>prompt</c>, <c>response</c>, <c>is_safe</c>; Parquet as on Hugging Face, JSONL, JSON,
    /// CSV or a folder of them) → safety pairs from the unsafe rows: side 1 a refusal, side 2 the dataset's unsafe
    /// answer, both after the same user prompt and both counting the assistant's answer. Refusals are used in turn
    /// (row i gets refusal i mod R); the default list is the paper's single fixed refusal. No pairs at all is an error.
    /// <paramref name="rowsRead"/>: as for <see cref="FromSquad"/>.
    /// </summary>
    public static BuiltPairs FromBeaverTails(string path, IReadOnlyList<string>? refusals = null, int? limit = null, Action<int, int>? rowsRead = null)
    {
        CheckLimit(limit);
        refusals ??= [DefaultRefusal];
        if (refusals.Count == 0 || refusals.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("refusals: expected at least one non-empty refusal.");
        var pairs = new List<PairedExample>();
        var skipped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int read = 0;
        var rows = DatasetFiles.Read(path);
        foreach (var row in rows)
        {
            if (limit is { } max && pairs.Count >= max) break;
            Tick(rowsRead, read++, rows.Count);
            string prompt = row.String("prompt"), response = row.String("response");
            if (row.Bool("is_safe")) { Count(skipped, "safe response (is_safe = true)"); continue; }
            if (string.IsNullOrWhiteSpace(prompt) || string.IsNullOrWhiteSpace(response)) { Count(skipped, "empty prompt or response"); continue; }
            pairs.Add(PairedExample.Answers(prompt, refusals[pairs.Count % refusals.Count], response.Trim()));
        }
        return NotEmpty(Done(new BuiltPairs(pairs, read, skipped), rows.Count, rowsRead), path);
    }

    // A 0-pair file would only fail later, in detection, far from the cause.
    private static BuiltPairs NotEmpty(BuiltPairs built, string path) => built.Pairs.Count > 0 ? built
        : throw new FormatException($"{path}: no pairs built from {built.RowsRead} rows" +
            (built.Skipped.Count == 0 ? "." : $" (skipped: {string.Join(", ", built.Skipped.Select(s => $"{s.Value} {s.Key}"))})."));

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
        return StrictJson.ParseFile(path);
    }

    private static JsonElement RequireArray(JsonElement obj, string field, string at) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Array ? v
        : throw new FormatException($"{at}: field '{field}': expected a list.");

    private static string RequireString(JsonElement obj, string field, string at) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
        : throw new FormatException($"{at}: field '{field}': expected a string.");
}
