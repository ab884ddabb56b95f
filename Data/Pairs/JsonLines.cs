using System.Text;
using System.Text.Json;

namespace SteerMoE.Research.Data.Pairs;

/// <summary>Line-by-line reading of JSONL files with errors that name the file and line.</summary>
internal static class JsonLines
{
    /// <summary>The non-blank lines of a file with their 1-based line numbers, read lazily.</summary>
    public static IEnumerable<(int Number, string Line)> NonBlank(string path)
    {
        int number = 0;
        foreach (string line in File.ReadLines(path, Encoding.UTF8))
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line)) yield return (number, line);
        }
    }

    /// <summary>Parses a line that must hold one JSON object; <paramref name="expected"/> describes it in the error.</summary>
    public static JsonDocument ParseObject(string line, string where, string expected)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException e) { throw new FormatException($"{where}: not valid JSON: {e.Message}"); }
        if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc;
        doc.Dispose();
        throw new FormatException($"{where}: expected a JSON object with {expected}.");
    }
}
