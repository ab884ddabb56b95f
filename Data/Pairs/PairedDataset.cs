using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SteerMoE.Research.Data.Files;

namespace SteerMoE.Research.Data.Pairs;

/// <summary>
/// The paired-dataset JSONL (docs/CONTRACTS.md §12): one JSON object per line with <c>messages_0</c>,
/// <c>messages_1</c> (lists of {role, content}), <c>messages_0_target</c> and <c>messages_1_target</c>.
/// Reading streams the file; every error names the file, the line and the field.
/// </summary>
public static class PairedDataset
{
    /// <summary>The four fields of a row, in the order they are written.</summary>
    public static readonly string[] Fields = ["messages_0", "messages_1", "messages_0_target", "messages_1_target"];

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Reads the pairs one line at a time (memory independent of the file size). Blank lines are skipped;
    /// any other line must be a valid row, or a <see cref="FormatException"/> names its line and field.
    /// </summary>
    public static IEnumerable<PairedExample> Read(string path) => Read(path, null);

    /// <summary>As <see cref="Read(string)"/>, noting each row's fields outside the format in <paramref name="otherFields"/>.</summary>
    internal static IEnumerable<PairedExample> Read(string path, OtherFieldTally? otherFields)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (expected a paired-dataset JSONL).", path);
        return ReadLines(path, otherFields);
    }

    private static IEnumerable<PairedExample> ReadLines(string path, OtherFieldTally? otherFields)
    {
        foreach (var (number, line) in JsonLines.NonBlank(path))
        {
            string where = $"{path}: line {number}";
            using var doc = JsonLines.ParseObject(line, where, "fields " + string.Join(", ", Fields));
            otherFields?.Add(doc.RootElement, number);
            yield return Parse(doc.RootElement, where);
        }
    }

    /// <summary>
    /// Top-level fields other than <see cref="Fields"/> (the format is open: datasets carry ids, sources, labels), with
    /// the first line that has each and the number of rows that do, in order of first appearance. The reader ignores
    /// them; `pairs check` and `detect` report them (run.json) so a misplaced field is seen, not silently dropped.
    /// Reads (and so validates) every row.
    /// </summary>
    public static IReadOnlyList<IgnoredField> OtherFields(string path)
    {
        var tally = new OtherFieldTally();
        foreach (var _ in Read(path, tally)) { }
        return tally.Fields;
    }

    /// <summary>Parses one JSONL row; <paramref name="where"/> (file and line) prefixes every error.</summary>
    public static PairedExample ParseLine(string line, string where)
    {
        using var doc = JsonLines.ParseObject(line, where, "fields " + string.Join(", ", Fields));
        return Parse(doc.RootElement, where);
    }

    private static PairedExample Parse(JsonElement row, string where)
    {
        var m0 = Messages(row, "messages_0", where);
        var m1 = Messages(row, "messages_1", where);
        string t0 = Target(row, "messages_0_target", m0, where);
        string t1 = Target(row, "messages_1_target", m1, where);
        return new PairedExample(m0, m1, t0, t1);
    }

    private static List<ChatMessage> Messages(JsonElement row, string field, string where)
    {
        if (!row.TryGetProperty(field, out var list)) throw new FormatException($"{where}: field '{field}': missing (a list of {{role, content}} messages).");
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            throw new FormatException($"{where}: field '{field}': expected a non-empty list of {{role, content}} messages.");
        var messages = new List<ChatMessage>();
        int i = 0;
        foreach (var m in list.EnumerateArray())
        {
            string at = $"{where}: field '{field}[{i}]";
            if (m.ValueKind != JsonValueKind.Object) throw new FormatException($"{at}': expected an object {{role, content}}.");
            if (!m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String || role.GetString()!.Length == 0)
                throw new FormatException($"{at}.role': expected a non-empty string.");
            if (!m.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
                throw new FormatException($"{at}.content': expected a string.");
            // A message's other fields (name, tool_calls, ...) would change what a chat template renders: refused, not dropped.
            foreach (var p in m.EnumerateObject())
                if (p.Name is not ("role" or "content"))
                    throw new FormatException($"{at}': unknown field '{p.Name}'; expected a message with only role and content.");
            messages.Add(new ChatMessage(role.GetString()!, content.GetString()!));
            i++;
        }
        return messages;
    }

    private static string Target(JsonElement row, string field, List<ChatMessage> messages, string where)
    {
        if (!row.TryGetProperty(field, out var t)) throw new FormatException($"{where}: field '{field}': missing (the text whose tokens are counted).");
        if (t.ValueKind != JsonValueKind.String || t.GetString()!.Length == 0) throw new FormatException($"{where}: field '{field}': expected a non-empty string.");
        string target = t.GetString()!;
        // The collector finds the target's tokens inside the templated chat: text that is in no message cannot be there.
        if (!messages.Any(m => m.Content.Contains(target, StringComparison.Ordinal)))
            throw new FormatException($"{where}: field '{field}': the target text does not occur in any message of '{field[..^"_target".Length]}'.");
        return target;
    }

    /// <summary>One row as a compact JSON line (fields in <see cref="Fields"/> order, non-ASCII text kept as is).</summary>
    public static string FormatLine(PairedExample pair)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            WriteMessages(w, "messages_0", pair.Messages0);
            WriteMessages(w, "messages_1", pair.Messages1);
            w.WriteString("messages_0_target", pair.Target0);
            w.WriteString("messages_1_target", pair.Target1);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteMessages(Utf8JsonWriter w, string field, IReadOnlyList<ChatMessage> messages)
    {
        w.WriteStartArray(field);
        foreach (var m in messages)
        {
            w.WriteStartObject();
            w.WriteString("role", m.Role);
            w.WriteString("content", m.Content);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>Writes the pairs atomically, one line each; returns how many were written.</summary>
    public static int Write(string path, IEnumerable<PairedExample> pairs)
    {
        int count = 0;
        AtomicFile.Write(path, s =>
        {
            using var w = new StreamWriter(s, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
            foreach (var pair in pairs)
            {
                string line = FormatLine(pair);
                ParseLine(line, $"{path}: pair {count + 1}"); // never write a row the reader would reject
                w.WriteLine(line);
                count++;
            }
        });
        return count;
    }
}

/// <summary>A top-level field of a pairs file outside the format: its name, the first line with it, how many rows have it.</summary>
public sealed record IgnoredField(string Name, int FirstLine, int Rows)
{
    /// <summary>The warning `pairs check` and `detect` print for it.</summary>
    public string Warning(string path) => $"{path}: line {FirstLine}: field '{Name}' (in {Rows} rows) is not part of the pairs format; it is ignored.";
}

/// <summary>Counts the top-level fields outside the pairs format while a file is read, in order of first appearance.</summary>
internal sealed class OtherFieldTally
{
    private readonly List<IgnoredField> _fields = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);   // name -> position in _fields

    public IReadOnlyList<IgnoredField> Fields => _fields;

    public void Add(JsonElement row, int line)
    {
        foreach (var p in row.EnumerateObject())
        {
            if (Array.IndexOf(PairedDataset.Fields, p.Name) >= 0) continue;
            if (_index.TryGetValue(p.Name, out int i)) _fields[i] = _fields[i] with { Rows = _fields[i].Rows + 1 };
            else { _index[p.Name] = _fields.Count; _fields.Add(new IgnoredField(p.Name, line, 1)); }
        }
    }
}
