using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SteerMoE.Research.Data.Datasets;

/// <summary>
/// One row of a dataset file, with typed getters whose errors read
/// <c>FILE: row N: field 'F': expected T, found K</c> (docs/CONTRACTS.md §17). A nested struct is read with
/// <see cref="Object"/>, whose errors name the full path (<c>choices.label</c>, <c>requested_rewrite[0].subject</c>).
/// </summary>
public sealed class DatasetRow
{
    private readonly string _prefix;

    /// <summary>A row of <paramref name="file"/>; <paramref name="textCells"/> when every value is text (CSV), so numbers and booleans are parsed from it.</summary>
    public DatasetRow(string file, int number, JsonObject values, bool textCells = false, string prefix = "")
    {
        File = file; Number = number; Values = values; TextCells = textCells; _prefix = prefix;
    }

    /// <summary>The file the row came from (as given, or found in a folder).</summary>
    public string File { get; }
    /// <summary>The row's number in its file, from 1 (JSONL: its line; CSV: its record, the header not counted).</summary>
    public int Number { get; }
    /// <summary>The row's values (Parquet lists → arrays, structs → objects, nulls → null).</summary>
    public JsonObject Values { get; }
    /// <summary>True for CSV rows, whose cells are all strings.</summary>
    public bool TextCells { get; }

    /// <summary>True when the field is present (even when null).</summary>
    public bool Has(string field) => Values.ContainsKey(field);

    /// <summary>A string field (present, not null).</summary>
    public string String(string field) => Values.TryGetPropertyValue(field, out var v) && IsString(v) ? v!.GetValue<string>()
        : throw Error(field, "string");

    /// <summary>A string field that may be missing or null (then null).</summary>
    public string? OptionalString(string field) =>
        !Values.TryGetPropertyValue(field, out var v) || v is null ? null : IsString(v) ? v.GetValue<string>() : throw Error(field, "string or null");

    /// <summary>A list of strings (every element a string).</summary>
    public IReadOnlyList<string> StringList(string field)
    {
        if (!Values.TryGetPropertyValue(field, out var v) || v is not JsonArray array) throw Error(field, "list of strings");
        var list = new List<string>(array.Count);
        for (int i = 0; i < array.Count; i++)
            list.Add(IsString(array[i]) ? array[i]!.GetValue<string>() : throw Error($"{field}[{i}]", "string", array[i]));
        return list;
    }

    /// <summary>An integer field (a whole JSON number; in CSV, an integer's text).</summary>
    public long Int(string field)
    {
        Values.TryGetPropertyValue(field, out var v);
        if (v is JsonValue value)
        {
            if (value.GetValueKind() == JsonValueKind.Number && value.TryGetValue(out long n)) return n;
            if (value.GetValueKind() == JsonValueKind.Number && value.TryGetValue(out double d) && d == Math.Floor(d) && Math.Abs(d) < 9e15) return (long)d;
            if (TextCells && IsString(v) && long.TryParse(value.GetValue<string>(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n)) return n;
        }
        throw Error(field, "integer");
    }

    /// <summary>A boolean field (true/false; in CSV, the text true/false in any case).</summary>
    public bool Bool(string field)
    {
        Values.TryGetPropertyValue(field, out var v);
        if (v is JsonValue value)
        {
            if (value.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return value.GetValue<bool>();
            if (TextCells && IsString(v) && bool.TryParse(value.GetValue<string>().Trim(), out bool b)) return b;
        }
        throw Error(field, "boolean");
    }

    /// <summary>A struct field, read with the same getters (errors name <c>field.inner</c>).</summary>
    public DatasetRow Object(string field) => Values.TryGetPropertyValue(field, out var v) && v is JsonObject obj
        ? new DatasetRow(File, Number, obj, TextCells, Path(field) + ".")
        : throw Error(field, "object");

    /// <summary>A list of structs (errors name <c>field[i].inner</c>).</summary>
    public IReadOnlyList<DatasetRow> ObjectList(string field)
    {
        if (!Values.TryGetPropertyValue(field, out var v) || v is not JsonArray array) throw Error(field, "list of objects");
        var list = new List<DatasetRow>(array.Count);
        for (int i = 0; i < array.Count; i++)
            list.Add(array[i] is JsonObject obj ? new DatasetRow(File, Number, obj, TextCells, $"{Path(field)}[{i}].") : throw Error($"{field}[{i}]", "object", array[i]));
        return list;
    }

    /// <summary>The error for a field that is missing or has the wrong type (<paramref name="expected"/> names the type).</summary>
    public FormatException Error(string field, string expected) =>
        Error(field, expected, Values.TryGetPropertyValue(field, out var v) ? v : null, !Values.ContainsKey(field));

    /// <summary>An error about this row that is not about one field's type (e.g. a value out of range).</summary>
    public FormatException Problem(string field, string message) => new($"{File}: row {Number}: field '{Path(field)}': {message}");

    private FormatException Error(string field, string expected, JsonNode? found, bool missing = false) =>
        new($"{File}: row {Number}: field '{Path(field)}': expected {expected}, found {(missing ? "missing" : Kind(found))}");

    private string Path(string field) => _prefix + field;

    private static bool IsString(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String;

    /// <summary>The kind of a value as the errors name it: null, string, number, boolean, list, object.</summary>
    public static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray => "list",
        JsonObject => "object",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            _ => "null",
        },
    };
}
