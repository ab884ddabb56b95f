using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parquet.Schema;
using Parquet.Serialization;
using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Inference.Files;

namespace SteerMoE.Research.Data.Datasets;

/// <summary>
/// Reads a dataset as Hugging Face distributes it: <c>.parquet</c>, <c>.json</c> (an array of objects, or an object
/// with exactly one array field such as <c>data</c>), <c>.jsonl</c>, <c>.csv</c> (header row, RFC 4180 quoting), or a
/// folder of them (docs/CONTRACTS.md §17). Text files must be valid UTF-8. Every row becomes a JSON object.
/// </summary>
public static class DatasetFiles
{
    /// <summary>The file name endings read as data; anything else in a folder (README.md, .gitattributes) is ignored.</summary>
    public static readonly IReadOnlyList<string> Extensions = [".parquet", ".json", ".jsonl", ".csv"];

    /// <summary>
    /// The rows of a file, or of every data file under a folder (subfolders included, hidden ones such as
    /// <c>.cache</c> left out, files in ordinal order of their relative paths). Each file's rows count from 1.
    /// </summary>
    public static IReadOnlyList<DatasetRow> Read(string path)
    {
        if (Directory.Exists(path))
        {
            var files = DataFilesUnder(path);
            if (files.Count == 0) throw new FileNotFoundException($"{path}: no data files in the folder (expected {string.Join(", ", Extensions)}).", path);
            return files.SelectMany(ReadFile).ToList();
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or folder.", path);
        return ReadFile(path);
    }

    /// <summary>The data files under a folder in the order <see cref="Read"/> uses.</summary>
    public static IReadOnlyList<string> DataFilesUnder(string folder)
    {
        var root = Path.GetFullPath(folder);
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => IsData(f) && !Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar).Any(p => p.StartsWith('.')))
            .OrderBy(f => Path.GetRelativePath(root, f), StringComparer.Ordinal)
            .ToList();
    }

    private static bool IsData(string file) => Extensions.Contains(Path.GetExtension(file).ToLowerInvariant());

    /// <summary>The rows of one file, by its extension.</summary>
    public static IReadOnlyList<DatasetRow> ReadFile(string file) => Path.GetExtension(file).ToLowerInvariant() switch
    {
        ".parquet" => ReadParquet(file),
        ".json" => ReadJson(file),
        ".jsonl" => ReadJsonLines(file),
        ".csv" => ReadCsv(file),
        var ext => throw new FormatException($"{file}: unknown dataset file type '{ext}' (expected {string.Join(", ", Extensions)})."),
    };

    private static IReadOnlyList<DatasetRow> ReadJson(string file)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(StrictUtf8.ReadFile(file)); }
        catch (JsonException e) { throw new FormatException($"{file}: not valid JSON (line {e.LineNumber + 1}): {e.Message}"); }
        JsonArray array = root switch
        {
            JsonArray a => a,
            // An object holding the rows in its one array field, like SQuAD's {"version": ..., "data": [...]}.
            JsonObject o when o.Count(p => p.Value is JsonArray) == 1 => (JsonArray)o.First(p => p.Value is JsonArray).Value!,
            JsonObject o => throw new FormatException($"{file}: expected an array of rows or an object with one array field, found an object with {o.Count(p => p.Value is JsonArray)} array fields ({string.Join(", ", o.Select(p => p.Key))})."),
            _ => throw new FormatException($"{file}: expected an array of rows or an object with one array field, found {DatasetRow.Kind(root)}."),
        };
        var rows = new List<DatasetRow>(array.Count);
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject obj) throw new FormatException($"{file}: row {i + 1}: expected an object, found {DatasetRow.Kind(array[i])}.");
            array[i] = null; // detach so the row can stand alone
            rows.Add(new DatasetRow(file, i + 1, obj));
        }
        return rows;
    }

    private static IReadOnlyList<DatasetRow> ReadJsonLines(string file)
    {
        var rows = new List<DatasetRow>();
        int number = 0;
        foreach (string line in StrictUtf8.ReadFile(file).Split('\n'))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonNode? node;
            try { node = JsonNode.Parse(line); }
            catch (JsonException e) { throw new FormatException($"{file}: row {number}: not valid JSON: {e.Message}"); }
            rows.Add(node is JsonObject obj ? new DatasetRow(file, number, obj)
                : throw new FormatException($"{file}: row {number}: expected an object, found {DatasetRow.Kind(node)}."));
        }
        return rows;
    }

    private static IReadOnlyList<DatasetRow> ReadCsv(string file)
    {
        var table = CsvTable.Parse(new StringReader(StrictUtf8.ReadFile(file)), file);
        var rows = new List<DatasetRow>(table.Rows.Count);
        for (int r = 0; r < table.Rows.Count; r++)
        {
            var obj = new JsonObject();
            for (int c = 0; c < table.Columns.Count; c++) obj[table.Columns[c]] = table.Rows[r][c];
            rows.Add(new DatasetRow(file, r + 1, obj, textCells: true));
        }
        return rows;
    }

    private static IReadOnlyList<DatasetRow> ReadParquet(string file)
    {
        DeserializationResult<Dictionary<string, object>> result;
        try
        {
            using var stream = File.OpenRead(file);
            result = ParquetSerializer.DeserializeUntypedAsync(stream).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new FormatException($"{file}: not a readable Parquet file: {e.Message}");
        }
        var rows = new List<DatasetRow>(result.Data.Count);
        for (int i = 0; i < result.Data.Count; i++) rows.Add(new DatasetRow(file, i + 1, StructNode(result.Schema.Fields, result.Data[i])));
        return rows;
    }

    // The untyped reader leaves out empty lists (and structs holding only those), so the schema fills them back in:
    // an absent or null list reads as [], an absent struct as its fields, an absent value as null.
    private static JsonObject StructNode(IEnumerable<Field> fields, IDictionary? values)
    {
        var obj = new JsonObject();
        foreach (var field in fields)
        {
            bool present = values is not null && values.Contains(field.Name);
            obj[field.Name] = FieldNode(field, present ? values![field.Name] : null, present);
        }
        return obj;
    }

    private static JsonNode? FieldNode(Field field, object? value, bool present) => field switch
    {
        ListField list => value is IEnumerable items and not string and not IDictionary
            ? new JsonArray(items.Cast<object?>().Select(item => FieldNode(list.Item, item, true)).ToArray())
            : new JsonArray(),
        StructField structField when value is IDictionary dict => StructNode(structField.Fields, dict),
        StructField structField => present ? null : StructNode(structField.Fields, null),
        _ => ToNode(value),
    };

    /// <summary>A Parquet value as JSON: lists → arrays, structs and maps → objects, nulls → null, dates → ISO text.</summary>
    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        byte[] bytes => JsonValue.Create(Convert.ToBase64String(bytes)),
        DateTime t => JsonValue.Create(t.ToString("O")),
        DateTimeOffset t => JsonValue.Create(t.ToString("O")),
        DateOnly d => JsonValue.Create(d.ToString("O")),
        TimeSpan t => JsonValue.Create(t.ToString("c")),
        TimeOnly t => JsonValue.Create(t.ToString("O")),
        Guid g => JsonValue.Create(g.ToString()),
        float f => JsonValue.Create(f),
        double d => JsonValue.Create(d),
        decimal m => JsonValue.Create(m),
        Half h => JsonValue.Create((double)h),
        ulong u => JsonValue.Create(u),
        sbyte or byte or short or ushort or int or uint or long => JsonValue.Create(Convert.ToInt64(value)),
        IDictionary dict => ToObject(dict),
        IEnumerable items => new JsonArray(items.Cast<object?>().Select(ToNode).ToArray()),
        _ => JsonValue.Create(value.ToString()),
    };

    private static JsonObject ToObject(IDictionary dict)
    {
        var obj = new JsonObject();
        foreach (DictionaryEntry e in dict) obj[e.Key.ToString()!] = ToNode(e.Value);
        return obj;
    }
}
