using System.Text;
using System.Text.Json;
using SteerMoE.Research.Inference.Files;

namespace SteerMoE.Research.Data.Pairs;

/// <summary>Line-by-line reading of JSONL files with errors that name the file and line.</summary>
internal static class JsonLines
{
    /// <summary>
    /// The non-blank lines of a file with their 1-based line numbers, read lazily as strict UTF-8: an invalid byte is an
    /// error naming the file and its byte offset (a silent U+FFFD would change the text and its tokens).
    /// </summary>
    public static IEnumerable<(int Number, string Line)> NonBlank(string path)
    {
        using var reader = new StreamReader(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true);
        int number = 0;
        while (true)
        {
            string? line;
            try { line = reader.ReadLine(); }
            catch (DecoderFallbackException)
            {
                StrictUtf8.ReadFile(path);   // throws naming the offset of the first invalid byte
                throw;
            }
            if (line is null) yield break;
            number++;
            if (!string.IsNullOrWhiteSpace(line)) yield return (number, line);
        }
    }

    /// <summary>Parses a line that must hold one JSON object; <paramref name="expected"/> describes it in the error.</summary>
    public static JsonDocument ParseObject(string line, string where, string expected)
    {
        var doc = StrictJson.Parse(line, where);
        if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc;
        doc.Dispose();
        throw new FormatException($"{where}: expected a JSON object with {expected}.");
    }
}
