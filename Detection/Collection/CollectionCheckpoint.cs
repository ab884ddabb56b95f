using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using SteerMoE.Research.Data.Files;
using SteerMoE.Research.Detection.Statistics;

namespace SteerMoE.Research.Detection.Collection;

/// <summary>
/// The state of an interrupted collection, written atomically to <c>checkpoint.json</c> in the run folder: pairs
/// done, the input fingerprint, the pooled counters (int64 little-endian, base64) and the routing-log row count.
/// Resuming from it and finishing gives the same counts as one uninterrupted run.
/// </summary>
internal sealed record CollectionCheckpoint(long PairsDone, string Fingerprint, CollectionInputs Inputs, ActivationCounts Counts, long PromptTokens, long RoutingLogRows,
    long MatchedPairs, PairedTTestState PairedT)
{
    public const string FileName = "checkpoint.json";
    private const string Format = "steermoe-detect-checkpoint/2";

    public void Save(string path)
    {
        var root = new JsonObject
        {
            ["format"] = Format,
            ["pairs_done"] = PairsDone,
            ["fingerprint"] = Fingerprint,
            ["inputs"] = JsonSerializer.SerializeToNode(new
            {
                model_files = Inputs.ModelFiles, tokenizer = Inputs.Tokenizer, chat_template = Inputs.ChatTemplate,
                dataset = Inputs.Dataset, precision = Inputs.Precision, variables = Inputs.Variables,
            }),
            ["layers"] = Counts.Layers, ["experts"] = Counts.Experts,
            ["n1"] = Counts.Tokens1, ["n2"] = Counts.Tokens2,
            ["prompt_tokens"] = PromptTokens, ["routing_log_rows"] = RoutingLogRows,
            ["a1"] = Convert.ToBase64String(MemoryMarshal.AsBytes(Counts.Activations1.AsSpan())),
            ["a2"] = Convert.ToBase64String(MemoryMarshal.AsBytes(Counts.Activations2.AsSpan())),
            // The paired t's Welford state, exact bits (int64 / float64 little-endian, base64): resuming continues it bit for bit.
            ["paired_t"] = PairedTStateFile.ToJson(PairedT, MatchedPairs),
        };
        AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Reads a checkpoint; the counts must have the model's shape.</summary>
    public static (long PairsDone, string Fingerprint, long PromptTokens, long RoutingLogRows, long MatchedPairs, PairedTTestState PairedT) Load(string path, ActivationCounts into)
    {
        JsonNode root;
        try { root = JsonNode.Parse(File.ReadAllText(path)) ?? throw new FormatException($"{path}: empty checkpoint."); }
        catch (JsonException e) { throw new FormatException($"{path}: not valid JSON: {e.Message}"); }
        try
        {
            if ((string?)root["format"] != Format) throw new FormatException($"{path}: format: expected \"{Format}\" (a checkpoint of an older version cannot be resumed; run again into a new --out).");
            if ((int)root["layers"]! != into.Layers || (int)root["experts"]! != into.Experts)
                throw new InvalidDataException($"{path}: counts of {(int)root["layers"]!} layers × {(int)root["experts"]!} experts; the model has {into.Layers} × {into.Experts}.");
            Fill(path, "a1", (string)root["a1"]!, into.Activations1);
            Fill(path, "a2", (string)root["a2"]!, into.Activations2);
            into.Tokens1 = (long)root["n1"]!; into.Tokens2 = (long)root["n2"]!;
            var (state, matched) = PairedTStateFile.FromJson(root["paired_t"]!, $"{path}: paired_t");
            if (state.Layers != into.Layers || state.Experts != into.Experts)
                throw new InvalidDataException($"{path}: paired_t of {state.Layers} layers × {state.Experts} experts; the model has {into.Layers} × {into.Experts}.");
            return ((long)root["pairs_done"]!, (string)root["fingerprint"]!, (long)root["prompt_tokens"]!, (long)root["routing_log_rows"]!, matched, state);
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException || e is FormatException && !e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new FormatException($"{path}: a field is missing or has the wrong type ({e.Message}).");
        }
    }

    private static void Fill(string path, string field, string base64, long[] into)
    {
        var bytes = Convert.FromBase64String(base64);
        if (bytes.Length != into.Length * sizeof(long)) throw new InvalidDataException($"{path}: {field}: {bytes.Length / 8} counters, expected {into.Length}.");
        MemoryMarshal.Cast<byte, long>(bytes).CopyTo(into);
    }
}
