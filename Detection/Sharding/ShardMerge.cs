using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Data.RoutingLogs;
using SteerMoE.Research.Detection.Collection;
using SteerMoE.Research.Detection.Statistics;

namespace SteerMoE.Research.Detection.Sharding;

/// <summary>What the shards of one detection run add up to (<see cref="ShardMerge.Combine"/>).</summary>
/// <param name="Counts">The pooled counts: the shards' a1, a2, N1, N2 added (exact integers).</param>
/// <param name="PairedT">The shards' paired-t states merged in shard order (Chan's formula), or, when the shards wrote a
/// routing log, replayed from it (<see cref="PairedTReplay"/>: bit for bit one process's).</param>
/// <param name="MatchedPairs">Pairs with matching spans, over all shards.</param>
/// <param name="PromptTokens">Prompt tokens forwarded, over all shards.</param>
/// <param name="RoutingLogRows">Routing-log rows written (0 without a log).</param>
public sealed record CombinedShards(ActivationCounts Counts, PairedTTest PairedT, long MatchedPairs, long PromptTokens, long RoutingLogRows);

/// <summary>
/// Adds up detection shards (docs/CONTRACTS.md §14): counts added, paired-t states merged, pair_counts.npy,
/// pair_tokens.npy and the routing log concatenated in shard order, which is pair order, so the files equal those of
/// one process over the whole dataset byte for byte.
/// </summary>
public static class ShardMerge
{
    /// <summary>The routing log's folder in a run folder.</summary>
    public const string RoutingLogFolder = "routing-log";

    /// <summary>
    /// Combines <paramref name="shards"/> (in shard order, as <see cref="ShardRun.LoadSet"/> returns them) and writes the
    /// concatenated pair files (and routing log, when the shards have one) into <paramref name="outDirectory"/>.
    /// </summary>
    public static CombinedShards Combine(IReadOnlyList<ShardRun> shards, string outDirectory)
    {
        var first = shards[0].Record["model"]!;
        int layers = (int)first["layers"]!, experts = (int)first["experts"]!, topK = (int)first["top_k"]!;
        var counts = new ActivationCounts(layers, experts);
        var pairedT = new PairedTTest(layers, experts);
        long matched = 0, promptTokens = 0;
        Directory.CreateDirectory(outDirectory);
        using (var pairs = new PairCountsFile.Writer(outDirectory, layers, experts, null))
            foreach (var shard in shards)
            {
                string countsPath = Path.Combine(shard.Directory, "counts.csv");
                var table = CountTable.Load(countsPath);
                if (table.Rows.Count != layers * experts)
                    throw new InvalidDataException($"{countsPath}: {table.Rows.Count} rows; the model has {layers} × {experts} experts.");
                foreach (var row in table.Rows)
                {
                    counts.Activations1[row.Layer * experts + row.Expert] += row.A1;
                    counts.Activations2[row.Layer * experts + row.Expert] += row.A2;
                }
                counts.Tokens1 += table.N1; counts.Tokens2 += table.N2;
                var (state, shardMatched) = PairedTStateFile.Load(Path.Combine(shard.Directory, PairedTStateFile.FileName));
                pairedT.Merge(new PairedTTest(state));
                matched += shardMatched;
                promptTokens += (long)shard.Record["tokens"]!["prompt_tokens"]!;
                pairs.AppendRun(shard.Directory);
                long rows = pairs.Pairs;
                if (rows != shard.EndPair) throw new InvalidDataException($"{shard.Directory}: its pair files hold {rows - shard.FirstPair} pairs; shard {shard.Shard} counted {shard.EndPair - shard.FirstPair}.");
            }
        long logRows = 0;
        if (shards[0].HasRoutingLog)
        {
            string firstLog = Path.Combine(shards[0].Directory, RoutingLogFolder);
            using var log = RoutingLogWriter.Open(Path.Combine(outDirectory, RoutingLogFolder), layers, experts, topK, RoutingLogWriter.ReadMetadata(firstLog));
            foreach (var shard in shards) log.AppendLog(Path.Combine(shard.Directory, RoutingLogFolder));
            logRows = log.Rows;
        }
        if (logRows > 0)
        {
            // The log holds the router logits the paired t came from: replayed in pair order, it equals one process's bit for bit.
            var (replayed, replayedPairs) = PairedTReplay.FromRoutingLog(Path.Combine(outDirectory, RoutingLogFolder), layers, experts);
            if (replayedPairs != matched || replayed.Count != pairedT.Count)
                throw new InvalidDataException($"{Path.Combine(shards[0].Directory, RoutingLogFolder)}...: the routing logs give {replayedPairs} pairs with matching spans, the shards' paired_t.json {matched}.");
            pairedT = replayed;
        }
        return new CombinedShards(counts, pairedT, matched, promptTokens, logRows);
    }
}
