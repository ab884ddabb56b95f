using System.Diagnostics;
using System.Runtime.InteropServices;
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

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    private const int SigTerm = 15;

    // 616 pairs (the 40 of the sharding fixture and faithfulness's 288 twice): long enough to be stopped midway.
    private static string LongPairs(string dir)
    {
        string path = Path.Combine(dir, "long.pairs.jsonl");
        string faithfulness = File.ReadAllText(RepoPaths.Get("tools", "default-model", "data", "faithfulness.pairs.jsonl"));
        File.WriteAllText(path, File.ReadAllText(Pairs) + faithfulness + faithfulness);
        return path;
    }

    // Runs steermoe with a progress line per report; once a line on stderr starting with `stage` reports at least `done`
    // units, sends SIGTERM (what Slurm sends a task it requeues, preempts or stops at its time limit).
    private static Cli.Result RunAndTerminate(string stage, int done, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["STEERMOE_PROGRESS_SECONDS"] = "0";
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "steermoe.dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = new System.Text.StringBuilder();
        bool sent = false;
        while (p.StandardError.ReadLine() is { } line)
        {
            stderr.AppendLine(line);
            if (sent || !line.StartsWith(stage + ": ", StringComparison.Ordinal)) continue;
            string count = line[(stage.Length + 2)..].Split('/')[0];
            if (long.TryParse(count, out long n) && n >= done) { Assert.Equal(0, kill(p.Id, SigTerm)); sent = true; }
        }
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(3)), "steermoe did not stop after SIGTERM");
        Assert.True(sent, $"no progress line '{stage}: N/...' with N ≥ {done} before the end:\n{stderr}");
        return new Cli.Result(p.ExitCode, stdout.Result, stderr.ToString());
    }

    [Fact]
    public void ASigtermedShardStopsWithACheckpointAndResumesToTheSameMerge()
    {
        string root = RepoPaths.TempDir("detect-shard-sigterm");
        string pairs = LongPairs(root), one = Path.Combine(root, "one"), merged = Path.Combine(root, "merged");
        string[] Detect(string dir, params string[] more) => ["detect", "--model", Model, "--pairs", pairs, "--out", dir, "--resamples", "0", .. more];
        Ok(Detect(one));
        string first = Path.Combine(root, "1-of-2"), second = Path.Combine(root, "2-of-2");
        Ok(Detect(first, "--shard", "1/2"));
        var stopped = RunAndTerminate("detect", 5, Detect(second, "--shard", "2/2", "--batch", "1", "--checkpoint-every", "1000"));
        Assert.True(stopped.ExitCode == 130, $"exit {stopped.ExitCode}\n{stopped.Stderr}");
        Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(second)}: stopped after \d+ of 308 pairs; checkpoint written, continue with --resume\.\n$", stopped.Stdout);
        Assert.True(File.Exists(Path.Combine(second, "checkpoint.json")));   // the checkpoint of the stop (not a periodic one: every 1000)
        Ok(Detect(second, "--shard", "2/2", "--resume"));
        Ok("detect", "merge", first, second, "--out", merged);
        foreach (string f in new[] { "counts.csv", "ranking.csv", "pair_counts.npy", "pair_tokens.npy", "paired_t.json" })
            Assert.True(File.ReadAllBytes(Path.Combine(one, f)).SequenceEqual(File.ReadAllBytes(Path.Combine(merged, f))), $"{f} differs from one detect's");
    }

    [Fact]
    public void ASigtermedExperimentDetectionShardStopsWithACheckpointAndResumes()
    {
        string root = RepoPaths.TempDir("experiment-detect-sigterm");
        string pairs = LongPairs(root), spec = Path.Combine(root, "spec.yaml");
        File.WriteAllText(spec, $"""
            name: sigterm
            model: {Model}
            pairs: {pairs}
            evaluation: {RepoPaths.Get("tools", "default-model", "data", "faithfulness.eval.jsonl")}
            metrics: [rd]
            strategies: [authors]
            evaluators: [context-match]
            max_new_tokens: 4
            grid: {"{"} activate: [0], deactivate: [1], reverse: [false], strength: [1.0] {"}"}
            """);
        string run = Path.Combine(root, "run");
        var stopped = RunAndTerminate("detection", 8, "experiment", "detect", spec, "--out", run, "--shard", "1/1");
        Assert.True(stopped.ExitCode == 130, $"exit {stopped.ExitCode}\n{stopped.Stderr}");
        Assert.Matches(@": shard 1/1: pairs 0 to 615 of 616, stopped after \d+ of 616 pairs with a checkpoint \(run it again to resume\)\n$", stopped.Stdout);
        string shard = Path.Combine(run, "detection.shards", "1-of-1");
        Assert.True(File.Exists(Path.Combine(shard, "checkpoint.json")));
        var resumed = Ok("experiment", "detect", spec, "--out", run, "--shard", "1/1");
        Assert.EndsWith(": shard 1/1: pairs 0 to 615 of 616\n", resumed.Stdout);
        Ok("experiment", "detect", spec, "--out", run, "--merge-shards", "1");
        var whole = Path.Combine(root, "whole");
        Ok("detect", "--model", Model, "--pairs", pairs, "--out", whole, "--resamples", "0");
        Assert.Equal(File.ReadAllBytes(Path.Combine(whole, "counts.csv")), File.ReadAllBytes(Path.Combine(run, "detection", "counts.csv")));
    }
}
