using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>
/// `detect --shard I/N` and `detect merge` as a user runs them (docs/CONTRACTS.md §14): the merged run folder equals one
/// `detect` over the whole dataset byte for byte, and a merge of shards that do not make one run exits 2 naming the
/// shard and the reason, writing nothing. (The library-level identity for N = 1, 2, 3, 7 is in the Detection tests.)
/// </summary>
public class DetectShardCommandTests
{
    private static string Model => RepoPaths.Get("models", "default");
    private static string Pairs => RepoPaths.Get("tests", "fixtures", "sharding", "mixed.pairs.jsonl");

    private static Cli.Result Ok(params string[] args)
    {
        var r = Cli.Run(args);
        Assert.True(r.ExitCode == 0, $"steermoe {string.Join(' ', args)}: exit {r.ExitCode}\n{r.Stderr}");
        return r;
    }

    private static string[] Detect(string dir, params string[] more) =>
        ["detect", "--model", Model, "--pairs", Pairs, "--out", dir, "--routing-log", "--resamples", "100", .. more];

    [Fact]
    public void ShardsMergedOnTheCommandLineEqualOneDetect()
    {
        string root = RepoPaths.TempDir("detect-shard-cli");
        string one = Path.Combine(root, "one"), merged = Path.Combine(root, "merged");
        Ok(Detect(one));
        var shards = Enumerable.Range(1, 3).Select(i => Path.Combine(root, $"{i}-of-3")).ToArray();
        // Each shard with another batch size: batch does not change the counts, so the merge accepts it.
        var first = Ok(Detect(shards[0], "--shard", "1/3", "--batch", "1"));
        Assert.StartsWith($"{shards[0]}: shard 1/3: pairs 0-13 of 40, 14 pairs,", first.Stdout);
        Ok(Detect(shards[1], "--shard", "2/3", "--batch", "3"));
        Ok(Detect(shards[2], "--shard", "3/3"));
        Assert.False(File.Exists(Path.Combine(shards[0], "ranking.csv")));   // a partial run: the merge ranks the whole

        var r = Ok("detect", "merge", shards[2], shards[0], shards[1], "--out", merged);
        Assert.StartsWith($"{merged}: merged 3 shards, 40 pairs, N1 = 308, N2 = 308 counted tokens, paired t over 30 pairs with matching spans;", r.Stdout);
        foreach (string f in new[] { "counts.csv", "ranking.csv", "pair_counts.npy", "pair_tokens.npy", "paired_t.json",
                     "routing-log/router_logits.npy", "routing-log/pair.npy", "routing-log/in_target.npy" })
            Assert.True(File.ReadAllBytes(Path.Combine(one, f)).SequenceEqual(File.ReadAllBytes(Path.Combine(merged, f))), $"{f} differs from one detect's");
    }

    [Fact]
    public void AMergeOfShardsThatDoNotMakeOneRunExits2NamingTheShardAndTheReason()
    {
        string root = RepoPaths.TempDir("detect-shard-refused");
        string[] shards = Enumerable.Range(1, 3).Select(i => Path.Combine(root, $"{i}-of-3")).ToArray();
        for (int i = 0; i < 3; i++) Ok(Detect(shards[i], "--shard", $"{i + 1}/3"));
        string other = Path.Combine(root, "var"), unfinished = Path.Combine(root, "unfinished"), whole = Path.Combine(root, "whole");
        Ok(Detect(other, "--shard", "3/3", "--var", "enable_thinking=false"));
        Ok(Detect(unfinished, "--shard", "3/3", "--max-pairs", "2"));
        Ok(Detect(whole));

        string output = Path.Combine(root, "merged");
        void Refused(string expected, params string[] dirs)
        {
            var r = Cli.Run(["detect", "merge", .. dirs, "--out", output]);
            Assert.Equal(2, r.ExitCode);
            Assert.True(r.Stderr.StartsWith($"steermoe: error: {expected}", StringComparison.Ordinal), $"expected: {expected}\ngot: {r.Stderr}");
            Assert.False(Directory.Exists(output), "a refused merge wrote its --out");
        }
        Refused($"{shards[1]}: shard 2/3 appears twice (also {shards[1]}).", shards[0], shards[1], shards[1], shards[2]);   // overlapping
        Refused("missing shard 2/3 (given: 1, 3).", shards[0], shards[2]);
        Refused($"{other}: template variables (--var) differs from {shards[0]}'s", shards[0], shards[1], other);               // mismatched
        Refused($"{unfinished}: the shard is unfinished (no run.json yet): it holds checkpoint.json; continue it with detect --resume before merging.", shards[0], shards[1], unfinished);
        Refused($"{whole}: run.json has no shard: the run was not made with detect --shard I/N, so it cannot be merged.", whole);
    }
}
