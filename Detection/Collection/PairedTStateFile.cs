using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using SteerMoE.Research.Data.Files;
using SteerMoE.Research.Detection.Statistics;

namespace SteerMoE.Research.Detection.Collection;

/// <summary>
/// The paired t's accumulated state as JSON (docs/CONTRACTS.md §14): a detect run writes it as <c>paired_t.json</c>
/// (and inside its checkpoint) so that <c>rank --paired-t</c> can fill the same paired_t columns. Counts int64, means and
/// M2 float64, little-endian, base64: the exact bits.
/// </summary>
public static class PairedTStateFile
{
    /// <summary>The file a detect run folder holds.</summary>
    public const string FileName = "paired_t.json";
    private const string Format = "steermoe-paired-t/1";

    /// <summary>The state and the number of pairs it holds as a JSON object.</summary>
    public static JsonObject ToJson(PairedTTestState state, long matchedPairs) => new()
    {
        ["format"] = Format, ["layers"] = state.Layers, ["experts"] = state.Experts, ["matched_pairs"] = matchedPairs,
        ["count"] = Convert.ToBase64String(MemoryMarshal.AsBytes(state.Count.AsSpan())),
        ["mean"] = Convert.ToBase64String(MemoryMarshal.AsBytes(state.Mean.AsSpan())),
        ["m2"] = Convert.ToBase64String(MemoryMarshal.AsBytes(state.M2.AsSpan())),
    };

    /// <summary>Reads a state written by <see cref="ToJson"/>; <paramref name="source"/> names it in errors.</summary>
    public static (PairedTTestState State, long MatchedPairs) FromJson(JsonNode node, string source)
    {
        try
        {
            if ((string?)node["format"] != Format) throw new FormatException($"{source}: format: expected \"{Format}\".");
            int layers = (int)node["layers"]!, experts = (int)node["experts"]!;
            if (layers <= 0 || experts <= 0) throw new InvalidDataException($"{source}: {layers} layers × {experts} experts; expected positive sizes.");
            var state = new PairedTTestState(layers, experts, Values<long>(node, "count", layers * experts, source),
                Values<double>(node, "mean", layers * experts, source), Values<double>(node, "m2", layers * experts, source));
            _ = new PairedTTest(state);   // validates the values
            return (state, (long)node["matched_pairs"]!);
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or ArgumentException || e is FormatException && !e.Message.StartsWith(source, StringComparison.Ordinal))
        {
            throw new FormatException($"{source}: a paired-t field is missing or invalid ({e.Message}).");
        }
    }

    /// <summary>Writes the state atomically.</summary>
    public static void Save(string path, PairedTTestState state, long matchedPairs) =>
        AtomicFile.WriteAllText(path, ToJson(state, matchedPairs).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

    /// <summary>Reads a paired_t.json; errors name the file and the field.</summary>
    public static (PairedTTestState State, long MatchedPairs) Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (expected the paired_t.json of a detect run).", path);
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new FormatException($"{path}: not valid JSON: {e.Message}"); }
        return FromJson(root ?? throw new FormatException($"{path}: empty file."), path);
    }

    private static T[] Values<T>(JsonNode node, string field, int length, string source) where T : unmanaged
    {
        var bytes = Convert.FromBase64String((string)node[field]!);
        if (bytes.Length != length * 8) throw new InvalidDataException($"{source}: {field}: {bytes.Length / 8} values, expected {length}.");
        return MemoryMarshal.Cast<byte, T>(bytes).ToArray();
    }
}
