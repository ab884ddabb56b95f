using System.Text.Json;
using System.Text.Json.Nodes;
using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Data.Files;
using SteerMoE.Research.Detection.Pairs;
using SteerMoE.Research.Detection.Ranking;
using SteerMoE.Research.Detection.Sharding;
using SteerMoE.Research.Running;

namespace SteerMoE.Research.Catalogs;

/// <summary>What <see cref="DetectionCatalog.Merge"/> wrote.</summary>
/// <param name="RunDirectory">The merged run folder.</param>
/// <param name="Files">The files written into it.</param>
/// <param name="Shards">The shards merged, in shard order.</param>
/// <param name="Combined">Their pooled counts and merged paired-t state.</param>
public sealed record MergedDetectionRun(string RunDirectory, IReadOnlyList<string> Files, IReadOnlyList<ShardRun> Shards, CombinedShards Combined)
{
    /// <summary>The pooled counts as a count table.</summary>
    public CountTable Counts => Combined.Counts.ToCountTable(Path.Combine(RunDirectory, DetectionCatalog.CountsFileName));
}

// Sharded detection (issue 17): `detect merge`.
public sealed partial class DetectionCatalog
{
    /// <summary>
    /// Merges the run folders of detection shards (`detect --shard I/N`, docs/CONTRACTS.md §14) into one run folder
    /// <paramref name="outDirectory"/> holding what one process over the whole dataset writes: counts.csv, pair_counts.npy,
    /// pair_tokens.npy and the routing log byte for byte; ranking.csv with the pair-level resampling columns computed from
    /// the concatenated pair files exactly as detect does (same seed and streams, recorded by the shards); the paired t
    /// replayed from the merged routing log when the shards wrote one (bit for bit one process's), else from the shards'
    /// Welford states merged by Chan's formula (within 1e-12 relative of one process's). The shards must
    /// cover the dataset exactly once with the same inputs and settings (<see cref="ShardRun.LoadSet"/>). Written into a
    /// temporary folder beside <paramref name="outDirectory"/> and renamed, so it is never half-written; an existing
    /// <paramref name="outDirectory"/> is refused unless <paramref name="overwrite"/>.
    /// </summary>
    public MergedDetectionRun Merge(IReadOnlyList<string> shardDirectories, string outDirectory, bool overwrite = false)
    {
        var shards = ShardRun.LoadSet(shardDirectories);
        string target = Path.GetFullPath(outDirectory);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any() && !overwrite)
            throw new ArgumentException($"{outDirectory}: exists and is not empty; pass --overwrite to replace it, or choose another --out.");
        if (File.Exists(target)) throw new IOException($"{outDirectory}: is a file; expected an output folder.");
        foreach (var s in shards)
            if (Path.GetFullPath(s.Directory).TrimEnd('/') == target.TrimEnd('/'))
                throw new ArgumentException($"{outDirectory}: is the folder of shard {s.Shard}; merge into another --out.");
        var record = shards[0].Record;
        var inference = record["pair_inference"]!;
        var pairInference = new PairInferenceOptions
        {
            Resamples = (int)inference["resamples"]!, StabilityTop = (int)inference["stability_top"]!,
            PermutationStream = (string)inference["permutation_stream"]!, BootstrapStream = (string)inference["bootstrap_stream"]!,
        };
        int seed = (int)inference["seed"]!;
        var metric = DetectionMetric.Get((string)record["settings"]!["metric"]!);
        // The resampling streams come from the shards' seed, whatever this context's is: the ranking equals detect's.
        var detection = seed == _context.Seed ? this : new SteerMoEContext(seed).Detection;

        string temp = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.merging.{Environment.ProcessId}");
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        AtomicFile.EnsureWritableFolder(temp);
        try
        {
            var combined = ShardMerge.Combine(shards, temp);
            var files = new List<string>();
            var pairLevel = detection.WriteResults(temp, combined.Counts, combined.PairedT, combined.MatchedPairs, metric, pairInference, files);
            files.Add(RunFileName);
            var run = MergedRecord(shards, target, combined, files);
            long pairs = (long)record["dataset"]!["pairs"]!;
            run["paired_t"] = PairedTRecord(combined.MatchedPairs, pairs, combined.PairedT);
            run["pair_inference"] = detection.PairInferenceRecord(pairLevel, pairInference);
            AtomicFile.WriteAllText(Path.Combine(temp, RunFileName), run.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            Directory.Move(temp, target);
            return new MergedDetectionRun(outDirectory, files, shards, combined);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    // The first shard's run.json with the shard replaced by the list of shards merged, and the totals of all of them.
    private static JsonObject MergedRecord(IReadOnlyList<ShardRun> shards, string target, CombinedShards combined, List<string> files)
    {
        var run = (JsonObject)shards[0].Record.DeepClone();
        run.Remove("shard");
        run["code_commit"] = ExperimentRunner.CodeCommit();
        run["finished_utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ");
        if (run["settings"]!["routing_log"] is JsonValue) run["settings"]!["routing_log"] = Path.Combine(target, ShardMerge.RoutingLogFolder);
        run["tokens"] = new JsonObject
        {
            ["n1"] = combined.Counts.Tokens1, ["n2"] = combined.Counts.Tokens2,
            ["prompt_tokens"] = combined.PromptTokens, ["routing_log_rows"] = combined.RoutingLogRows,
        };
        double seconds = shards.Sum(s => (double?)s.Record["last_session"]?["seconds"] ?? 0);
        run["last_session"] = new JsonObject
        {
            ["seconds"] = Math.Round(seconds, 3), ["prompt_tokens"] = shards.Sum(s => (long?)s.Record["last_session"]?["prompt_tokens"] ?? 0),
            ["note"] = "the sum over the shards' last sessions (they ran in parallel)",
        };
        run["merged_from"] = new JsonArray(shards.Select(s => (JsonNode)new JsonObject
        {
            ["directory"] = Path.GetFullPath(s.Directory), ["shard"] = s.Shard.ToString(), ["first_pair"] = s.FirstPair, ["end_pair"] = s.EndPair,
            ["engine"] = s.Record["model"]?["engine"]?.DeepClone(), ["code_commit"] = s.Record["code_commit"]?.DeepClone(),
        }).ToArray());
        run["files"] = new JsonArray(files.Select(f => (JsonNode)f).ToArray());
        return run;
    }
}
