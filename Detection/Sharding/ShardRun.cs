using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SteerMoE.Research.Detection.Collection;

namespace SteerMoE.Research.Detection.Sharding;

/// <summary>
/// A finished detection shard (`detect --shard I/N`): its folder and run.json, which records the shard, the pair range
/// it counted and everything merged shards must share (docs/CONTRACTS.md §14).
/// </summary>
/// <param name="Directory">The shard's run folder.</param>
/// <param name="Shard">Which shard it is.</param>
/// <param name="FirstPair">0-based index of its first pair in the dataset.</param>
/// <param name="EndPair">One past its last pair.</param>
/// <param name="Record">Its run.json.</param>
public sealed record ShardRun(string Directory, Shard Shard, long FirstPair, long EndPair, JsonObject Record)
{
    /// <summary>The run.json a detect run writes.</summary>
    public const string RunFileName = "run.json";

    // What every shard of one merge must agree on (run.json paths, and how a difference is named in the error):
    // the inputs the counts depend on, the settings that change them or the files written, and the pair-level settings
    // the merge computes the ranking with. Batch and device do not change the counts and may differ.
    private static readonly (string Path, string Name)[] Shared =
    [
        ("model.files_sha256", "model files_sha256"), ("tokenizer.sha256", "tokenizer sha256"),
        ("chat_template.sha256", "chat template sha256"), ("dataset.sha256", "dataset sha256"), ("dataset.pairs", "dataset pair count"),
        ("settings.precision", "precision"), ("settings.variables", "template variables (--var)"), ("settings.metric", "metric"),
        ("model.layers", "model layers"), ("model.experts", "model experts"), ("model.top_k", "model top_k"),
        ("pair_inference.resamples", "--resamples"), ("pair_inference.stability_top", "--stability-top"), ("pair_inference.seed", "--seed"),
        ("pair_inference.permutation_stream", "permutation stream"), ("pair_inference.bootstrap_stream", "bootstrap stream"),
    ];

    /// <summary>Whether the shard wrote a routing log.</summary>
    public bool HasRoutingLog => Record["settings"]?["routing_log"] is JsonValue;

    /// <summary>Reads a shard folder; an unfinished shard, a run that is not a shard and a malformed run.json are errors naming the folder.</summary>
    public static ShardRun Load(string directory)
    {
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"{directory}: no such folder (expected the run folder of a detect --shard run).");
        string runJson = Path.Combine(directory, RunFileName);
        if (File.Exists(Path.Combine(directory, CollectionCheckpoint.FileName)))
        {
            string which = File.Exists(runJson) ? "" : " (no run.json yet)";
            throw new InvalidDataException($"{directory}: the shard is unfinished{which}: it holds {CollectionCheckpoint.FileName}; continue it with detect --resume before merging.");
        }
        if (!File.Exists(runJson)) throw new FileNotFoundException($"{directory}: no {RunFileName} (expected a finished detect --shard run).", runJson);
        JsonObject record;
        try { record = JsonNode.Parse(File.ReadAllText(runJson)) as JsonObject ?? throw new FormatException($"{runJson}: expected a JSON object."); }
        catch (JsonException e) { throw new FormatException($"{runJson}: not valid JSON: {e.Message}"); }
        if (record["shard"] is not JsonObject shard)
            throw new InvalidDataException($"{directory}: {RunFileName} has no shard: the run was not made with detect --shard I/N, so it cannot be merged.");
        try
        {
            var s = new Shard((int)shard["index"]!, (int)shard["count"]!);
            long first = (long)shard["first_pair"]!, end = (long)shard["end_pair"]!, pairs = (long)record["dataset"]!["pairs"]!;
            if (s.Count < 1 || s.Index < 1 || s.Index > s.Count) throw new InvalidDataException($"{runJson}: shard: {s}; expected I/N with 1 ≤ I ≤ N.");
            if (s.Range(pairs) != (first, end))
                throw new InvalidDataException($"{runJson}: shard: pairs {first} to {end} of {pairs}; shard {s} holds {s.Range(pairs).Start} to {s.Range(pairs).End}.");
            return new ShardRun(directory, s, first, end, record);
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"{runJson}: shard or dataset.pairs missing or not a number ({e.Message}).");
        }
    }

    /// <summary>
    /// Reads the shard folders and checks that they are the shards 1..N of one run, each exactly once, made with the same
    /// inputs and settings; returns them in shard order. Errors name the folder and the reason
    /// (<c>B: shard 2/3 appears twice (also A)</c>, <c>missing shard 3/7</c>, <c>C: dataset sha256 differs from A's</c>).
    /// </summary>
    public static IReadOnlyList<ShardRun> LoadSet(IReadOnlyList<string> directories)
    {
        if (directories.Count == 0) throw new ArgumentException("detect merge: expected the run folders of the shards (RUN...), got none.");
        var runs = directories.Select(Load).ToList();
        var first = runs[0];
        var byIndex = new Dictionary<int, ShardRun>();
        foreach (var run in runs)
        {
            if (run.Shard.Count != first.Shard.Count)
                throw new InvalidDataException($"{run.Directory}: shard {run.Shard} is one of {run.Shard.Count}, {first.Directory} one of {first.Shard.Count}.");
            if (byIndex.TryGetValue(run.Shard.Index, out var seen))
                throw new InvalidDataException($"{run.Directory}: shard {run.Shard} appears twice (also {seen.Directory}).");
            byIndex[run.Shard.Index] = run;
            foreach (var (path, name) in Shared)
                if (!JsonNode.DeepEquals(At(run.Record, path), At(first.Record, path)))
                    throw new InvalidDataException($"{run.Directory}: {name} differs from {first.Directory}'s ({Show(At(run.Record, path))} vs {Show(At(first.Record, path))}).");
            if (run.HasRoutingLog != first.HasRoutingLog)
                throw new InvalidDataException($"{run.Directory}: {(run.HasRoutingLog ? "wrote" : "did not write")} a routing log, {first.Directory} {(first.HasRoutingLog ? "did" : "did not")}; merge shards run with the same --routing-log.");
        }
        for (int i = 1; i <= first.Shard.Count; i++)
            if (!byIndex.ContainsKey(i))
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"missing shard {i}/{first.Shard.Count} (given: {string.Join(", ", byIndex.Keys.Order())})."));
        return byIndex.OrderBy(p => p.Key).Select(p => p.Value).ToArray();
    }

    private static JsonNode? At(JsonNode node, string path)
    {
        JsonNode? n = node;
        foreach (string part in path.Split('.')) n = n?[part];
        return n;
    }

    private static string Show(JsonNode? n)
    {
        string text = n?.ToJsonString() ?? "none";
        return text.Length > 40 ? text[..40] + "…" : text;
    }
}
