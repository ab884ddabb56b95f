using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>
/// An experiment run on a cluster's terms (docs/CONTRACTS.md §13): detection in shards merged once, the cells in slices
/// run as concurrent processes into one run folder, gathered by `experiment merge`; equal to one process's run.
/// </summary>
public class ShardedExperimentTests
{
    // digits-vs-words on models/default: 13 cells (a baseline, 2 strategies × 3 counts × 2 directions).
    private static string Spec => RepoPaths.Get("Experiments", "Library", "Demo", "Specs", "counting.yaml");

    private static Cli.Result Ok(params string[] args)
    {
        var r = Cli.Run(args);
        Assert.True(r.ExitCode == 0, $"steermoe {string.Join(' ', args)}: exit {r.ExitCode}\n{r.Stderr}");
        return r;
    }

    [Fact]
    public async Task SlicesOfTheCellsRunAtOnceAndMergeIntoOneProcesssResults()
    {
        string root = RepoPaths.TempDir("experiment-sharded");
        string one = Path.Combine(root, "one"), sharded = Path.Combine(root, "sharded");
        Ok("experiment", "run", Spec, "--out", one);

        // Before the detection is there, a slice refuses to start (it would count beside the other slices).
        var early = Cli.Run("experiment", "run", Spec, "--out", sharded, "--cells", "1/3");
        Assert.Equal(2, early.ExitCode);
        Assert.Contains($"{Path.Combine(sharded, "detection")}: holds no finished detection of this spec's inputs; run `experiment detect SPEC --out {sharded} --shard I/N`", early.Stderr);

        Ok("experiment", "detect", Spec, "--out", sharded, "--shard", "2/2");
        var missing = Cli.Run("experiment", "detect", Spec, "--out", sharded, "--merge-shards", "2");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains($"{Path.Combine(sharded, "detection.shards", "1-of-2")}: no such folder", missing.Stderr);
        Ok("experiment", "detect", Spec, "--out", sharded, "--shard", "1/2");
        Ok("experiment", "detect", Spec, "--out", sharded, "--merge-shards", "2");
        Assert.Equal(File.ReadAllBytes(Path.Combine(one, "detection", "counts.csv")), File.ReadAllBytes(Path.Combine(sharded, "detection", "counts.csv")));

        // Three slices as three processes at once, each with its own registry.
        var slices = Enumerable.Range(1, 3).Select(i => Task.Run(() => Cli.Run("experiment", "run", Spec, "--out", sharded, "--cells", $"{i}/3"))).ToArray();
        foreach (var s in await Task.WhenAll(slices)) Assert.True(s.ExitCode == 0, s.Stderr);
        var keys = Enumerable.Range(1, 3).Select(i => ResultKeys(Path.Combine(sharded, "cells.shards", $"{i}-of-3", "results.csv"), done: true)).ToArray();
        Assert.Equal([5, 4, 4], keys.Select(k => k.Count));   // 13 cells: slices of ceil(i·13/3) boundaries 0, 5, 9, 13
        Assert.Equal(ResultKeys(Path.Combine(one, "results.csv"), done: true), keys.SelectMany(k => k).ToList());   // in order, each once

        Ok("experiment", "merge", Spec, "--out", sharded);
        // results.csv holds no times (registry.sqlite does): every column must be equal, so the files are.
        Assert.Equal(File.ReadAllText(Path.Combine(one, "results.csv")), File.ReadAllText(Path.Combine(sharded, "results.csv")));
        // Rerunning the whole spec into the merged folder recomputes nothing (resume semantics kept).
        var again = Ok("experiment", "run", Spec, "--out", sharded);
        Assert.Contains("13 cells, 13 already done", again.Stdout);
    }

    [Fact]
    public void MalformedOrIncompleteSlicesAreRefused()
    {
        string dir = RepoPaths.TempDir("experiment-slices");
        var bad = Cli.Run("experiment", "run", Spec, "--out", dir, "--cells", "4/3");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--cells: expected I/N with 1 ≤ I ≤ N (e.g. 2/4: the second of four; 1-based), got '4/3': I must be between 1 and 3.", bad.Stderr);
        var force = Cli.Run("experiment", "run", Spec, "--out", dir, "--cells", "1/3", "--force-new");
        Assert.Equal(2, force.ExitCode);
        Assert.Contains("--force-new: not with --cells", force.Stderr);
        var both = Cli.Run("experiment", "detect", Spec, "--out", dir);
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("give either --shard I/N (count one shard) or --merge-shards N", both.Stderr);

        Ok("experiment", "detect", Spec, "--out", dir, "--shard", "1/1");
        Ok("experiment", "detect", Spec, "--out", dir, "--merge-shards", "1");
        Ok("experiment", "run", Spec, "--out", dir, "--cells", "2/4");
        var missing = Cli.Run("experiment", "merge", Spec, "--out", dir);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains($"{Path.Combine(dir, "cells.shards")}: missing slice 1/4 of the cells.", missing.Stderr);
    }

    private static List<string> ResultKeys(string resultsCsv, bool done) =>
        File.ReadLines(resultsCsv).Skip(1).Select(l => l.Split(',')).Where(f => !done || f[8] == "done").Select(f => f[0]).ToList();
}
