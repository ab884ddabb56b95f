using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Detection.Collection;
using SteerMoE.Research.Detection.Sharding;
using SteerMoE.Research.Detection.Statistics;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Detection.Tests.Sharding;

/// <summary>
/// Sharded detection on the embedded default model (docs/CONTRACTS.md §14): shards merged equal one process over the
/// whole dataset, and the merge refuses shards that do not make one run.
/// </summary>
public class ShardedDetectionTests
{
    private static string Model => RepoPaths.Get("models", "default");

    // 40 pairs: 30 that ask the same question with and without the document (same target ids: they feed the paired t),
    // then 10 counting pairs whose answers differ (counted, not paired), so shards mix both kinds (tests/fixtures/README.md).
    private static string Pairs => RepoPaths.Get("tests", "fixtures", "sharding", "mixed.pairs.jsonl");

    private static CollectionOptions Options(string runDir, Shard? shard = null) =>
        new() { Batch = 3, Shard = shard, RoutingLog = Path.Combine(runDir, ShardMerge.RoutingLogFolder) };

    // The one-process run every merge is compared with (pair-level resampling on: 200 resamples, seed 3).
    private static readonly Lazy<string> Whole = new(() =>
    {
        string dir = RepoPaths.TempDir("shard-whole");
        new SteerMoEContext(3).Detection.Collect(Model, Pairs, dir, Options(dir), "rd", new() { Resamples = 200 });
        return dir;
    });

    private static string RunShard(Shard shard, string? dir = null, int seed = 3, CollectionOptions? options = null)
    {
        dir ??= RepoPaths.TempDir($"shard-{shard.FolderName}");
        new SteerMoEContext(seed).Detection.Collect(Model, Pairs, dir, options ?? Options(dir, shard), "rd", new() { Resamples = 200 });
        return dir;
    }

    private static string[] Shards(int n, bool routingLog = true) => Enumerable.Range(1, n).Select(i =>
    {
        string dir = RepoPaths.TempDir($"shard-{i}-of-{n}");
        return RunShard(new Shard(i, n), dir, options: routingLog ? null : Options(dir, new Shard(i, n)) with { RoutingLog = null });
    }).ToArray();

    private static readonly string[] RoutingLogArrays = ["router_logits", "topk", "token_id", "pair", "side", "position", "in_target"];

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    [InlineData(7, true)]
    [InlineData(41, true)]   // more shards than pairs: shard 41 is empty
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(7, false)]
    public void MergedShardsWriteWhatOneProcessWrites(int n, bool routingLog)
    {
        string whole = Whole.Value;
        // Given in reverse order: the merge orders them by shard index.
        var shards = Shards(n, routingLog).Reverse().ToArray();
        string merged = Path.Combine(RepoPaths.TempDir("shard-merged"), "run");
        var result = new SteerMoEContext().Detection.Merge(shards, merged);
        Assert.Equal(n, result.Shards.Count);
        Assert.Equal(30, result.Combined.MatchedPairs);

        var identical = new[] { "counts.csv", PairCountsFile.CountsName, PairCountsFile.TokensName };
        // With a routing log the paired t is replayed from it: ranking.csv and paired_t.json are one process's too.
        if (routingLog)
            identical = [.. identical, "ranking.csv", PairedTStateFile.FileName, .. RoutingLogArrays.Select(a => Path.Combine(ShardMerge.RoutingLogFolder, a + ".npy"))];
        else Assert.False(Directory.Exists(Path.Combine(merged, ShardMerge.RoutingLogFolder)));
        foreach (string file in identical)
            Assert.True(File.ReadAllBytes(Path.Combine(whole, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(merged, file))), $"{file} differs for N = {n}");
        // The routing log's sidecar names the same model, dataset and precision and counts the same rows.
        if (routingLog)
            Assert.Equal(File.ReadAllText(Path.Combine(whole, ShardMerge.RoutingLogFolder, "routing_log.json")),
                File.ReadAllText(Path.Combine(merged, ShardMerge.RoutingLogFolder, "routing_log.json")));

        // ranking.csv: every column byte for byte except, without a routing log, the paired t's statistic and p (Chan's
        // merge of the Welford states rounds differently from adding the tokens one by one): those within 1e-12 relative.
        var a = CsvTable.Load(Path.Combine(whole, "ranking.csv"));
        var b = CsvTable.Load(Path.Combine(merged, "ranking.csv"));
        Assert.Equal(a.Columns, b.Columns);
        Assert.Equal(a.Rows.Count, b.Rows.Count);
        int t = Array.IndexOf(a.Columns.ToArray(), "paired_t"), p = Array.IndexOf(a.Columns.ToArray(), "paired_t_p");
        Assert.True(t > 0 && p > 0);
        for (int r = 0; r < a.Rows.Count; r++)
            for (int c = 0; c < a.Columns.Count; c++)
            {
                if (c != t && c != p) { Assert.Equal(a.Rows[r][c], b.Rows[r][c]); continue; }
                double x = double.Parse(a.Rows[r][c], CultureInfo.InvariantCulture), y = double.Parse(b.Rows[r][c], CultureInfo.InvariantCulture);
                Assert.True(Math.Abs(x - y) <= 1e-12 * Math.Abs(x), $"N = {n}, row {r}, {a.Columns[c]}: {x:R} vs {y:R}");
            }
        if (n == 1) Assert.Equal(File.ReadAllBytes(Path.Combine(whole, "ranking.csv")), File.ReadAllBytes(Path.Combine(merged, "ranking.csv")));
        // The paired t really was computed (30 matched pairs) and is not all NaN.
        Assert.Contains(a.Rows, row => double.TryParse(row[t], CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) && v != 0);

        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(merged, "run.json")))!;
        var one = JsonNode.Parse(File.ReadAllText(Path.Combine(whole, "run.json")))!;
        Assert.Null(run["shard"]);
        Assert.Equal(n, run["merged_from"]!.AsArray().Count);
        if (!routingLog) one["tokens"]!["routing_log_rows"] = 0;   // the one-process run wrote a log, these shards did not
        foreach (string path in new[] { "tokens", "dataset", "paired_t", "pair_inference", "model" })
            Assert.True(JsonNode.DeepEquals(one[path], run[path]), $"run.json {path}: {one[path]!.ToJsonString()} vs {run[path]!.ToJsonString()}");
    }

    [Fact]
    public void AShardStoppedMidwayAndResumedMergesTheSame()
    {
        var shards = Shards(3);
        // Shard 2 again: stopped after 4 of its pairs (a job killed and requeued), then resumed.
        var shard = new Shard(2, 3);
        string dir = RepoPaths.TempDir("shard-resumed");
        var options = Options(dir, shard) with { CheckpointEvery = 1 };
        var stopped = new SteerMoEContext(3).Detection.Collect(Model, Pairs, dir, options with { StopAfterPairs = 4 }, "rd", new() { Resamples = 200 });
        Assert.False(stopped.Result.Completed);
        Assert.Equal(4, stopped.Result.PairsDone);
        Assert.Equal(13, stopped.Result.PairsTotal);   // pairs 14 to 26 of 40
        // Resuming it as another shard is refused.
        var other = Assert.Throws<ArgumentException>(() => RunShard(new Shard(3, 3), dir, options: Options(dir, new Shard(3, 3)) with { Resume = true }));
        Assert.Contains("--shard differ", other.Message);
        RunShard(shard, dir, options: options with { Resume = true });
        string a = Path.Combine(RepoPaths.TempDir("shard-merged"), "run"), b = Path.Combine(RepoPaths.TempDir("shard-merged"), "run");
        var context = new SteerMoEContext();
        context.Detection.Merge(shards, a);
        context.Detection.Merge([shards[0], dir, shards[2]], b);
        foreach (string file in new[] { "counts.csv", "ranking.csv", "paired_t.json", PairCountsFile.CountsName, PairCountsFile.TokensName }
                     .Concat(RoutingLogArrays.Select(x => Path.Combine(ShardMerge.RoutingLogFolder, x + ".npy"))))
            Assert.True(File.ReadAllBytes(Path.Combine(a, file)).SequenceEqual(File.ReadAllBytes(Path.Combine(b, file))), file);
    }

    [Fact]
    public void MergeRefusesShardsThatDoNotMakeOneRun()
    {
        var three = Shards(3);
        var context = new SteerMoEContext();
        string Refused(params string[] dirs) =>
            Assert.ThrowsAny<Exception>(() => context.Detection.Merge(dirs, Path.Combine(RepoPaths.TempDir("shard-refused"), "run"))).Message;

        Assert.Equal($"{three[1]}: shard 2/3 appears twice (also {three[1]}).", Refused(three[0], three[1], three[1], three[2]));
        string copy = RepoPaths.TempDir("shard-copy");
        foreach (string f in Directory.GetFiles(three[1])) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        Assert.Equal($"{copy}: shard 2/3 appears twice (also {three[1]}).", Refused(three[0], three[1], copy, three[2]));
        Assert.Equal("missing shard 3/3 (given: 1, 2).", Refused(three[0], three[1]));
        Assert.Equal("missing shard 1/3 (given: 2, 3).", Refused(three[2], three[1]));

        // Another number of shards.
        string half = RunShard(new Shard(2, 2));
        Assert.StartsWith($"{half}: shard 2/2 is one of 2, {three[0]} one of 3", Refused(three[0], three[1], half));

        // Another dataset: the same pairs with one more blank line is another file (another sha256).
        string otherPairs = Path.Combine(RepoPaths.TempDir("shard-other"), "pairs.jsonl");
        File.WriteAllText(otherPairs, File.ReadAllText(Pairs) + "\n");
        string otherDataset = RepoPaths.TempDir("shard-other-run");
        new SteerMoEContext(3).Detection.Collect(Model, otherPairs, otherDataset, Options(otherDataset, new Shard(3, 3)), "rd", new() { Resamples = 200 });
        Assert.StartsWith($"{otherDataset}: dataset sha256 differs from {three[0]}'s", Refused(three[0], three[1], otherDataset));

        // Other settings: a template variable, the seed of the resampling, the routing log on or off.
        string variables = RepoPaths.TempDir("shard-var");
        new SteerMoEContext(3).Detection.Collect(Model, Pairs, variables, Options(variables, new Shard(3, 3)) with
            { Variables = new Dictionary<string, object?> { ["enable_thinking"] = false } }, "rd", new() { Resamples = 200 });
        Assert.StartsWith($"{variables}: template variables (--var) differs from {three[0]}'s", Refused(three[0], three[1], variables));
        string seed = RunShard(new Shard(3, 3), seed: 4);
        Assert.StartsWith($"{seed}: --seed differs from {three[0]}'s", Refused(three[0], three[1], seed));
        string noLog = RepoPaths.TempDir("shard-nolog");
        RunShard(new Shard(3, 3), noLog, options: Options(noLog, new Shard(3, 3)) with { RoutingLog = null });
        Assert.StartsWith($"{noLog}: did not write a routing log, {three[0]} did", Refused(three[0], three[1], noLog));

        // Another model: the model's files hash differently (run.json edited as another checkpoint would have it).
        string model = RepoPaths.TempDir("shard-model");
        foreach (string f in Directory.GetFiles(three[2])) File.Copy(f, Path.Combine(model, Path.GetFileName(f)));
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "run.json")))!;
        var files = run["model"]!["files_sha256"]!.AsObject();
        files[files.First().Key] = new string('0', 64);
        File.WriteAllText(Path.Combine(model, "run.json"), run.ToJsonString());
        Assert.StartsWith($"{model}: model files_sha256 differs from {three[0]}'s", Refused(three[0], three[1], model));

        // An unfinished shard, and a run made without --shard.
        string unfinished = RepoPaths.TempDir("shard-unfinished");
        new SteerMoEContext(3).Detection.Collect(Model, Pairs, unfinished, Options(unfinished, new Shard(3, 3)) with { StopAfterPairs = 2 }, "rd", new() { Resamples = 200 });
        Assert.Equal($"{unfinished}: the shard is unfinished (no run.json yet): it holds checkpoint.json; continue it with detect --resume before merging.", Refused(three[0], three[1], unfinished));
        Assert.Equal($"{Whole.Value}: run.json has no shard: the run was not made with detect --shard I/N, so it cannot be merged.", Refused(Whole.Value));

        // An existing --out is not replaced without overwrite.
        string existing = RepoPaths.TempDir("shard-existing");
        File.WriteAllText(Path.Combine(existing, "keep.txt"), "x");
        var e = Assert.Throws<ArgumentException>(() => context.Detection.Merge(three, existing));
        Assert.Equal($"{existing}: exists and is not empty; pass --overwrite to replace it, or choose another --out.", e.Message);
        Assert.True(File.Exists(Path.Combine(existing, "keep.txt")));
        context.Detection.Merge(three, existing, overwrite: true);
        Assert.False(File.Exists(Path.Combine(existing, "keep.txt")));
        Assert.True(File.Exists(Path.Combine(existing, "ranking.csv")));
    }

    [Theory]
    [InlineData("x")]
    [InlineData("2")]
    [InlineData("0/3")]
    [InlineData("4/3")]
    [InlineData("1/0")]
    [InlineData("1/2/3")]
    [InlineData("-1/3")]
    [InlineData(" 1/3")]
    public void MalformedShardsAreRefused(string text)
    {
        var e = Assert.Throws<FormatException>(() => Shard.Parse(text));
        Assert.StartsWith($"--shard: expected I/N with 1 ≤ I ≤ N (e.g. 2/4: the second of four; 1-based), got '{text}'", e.Message);
    }

    [Theory]
    [InlineData(40, 1)]
    [InlineData(40, 3)]
    [InlineData(40, 7)]
    [InlineData(10, 3)]
    [InlineData(3, 7)]
    public void ShardsCoverEveryItemOnceInOrder(int items, int n)
    {
        long next = 0;
        for (int i = 1; i <= n; i++)
        {
            var (start, end) = new Shard(i, n).Range(items);
            Assert.Equal(next, start);
            Assert.True(end >= start);
            for (long q = start; q < end; q++) Assert.Equal(i, (int)(q * n / items) + 1);   // pair p is in shard floor(p·N/P) + 1
            next = end;
        }
        Assert.Equal(items, next);
        Assert.Equal((0L, 4L), new Shard(1, 3).Range(10));
        Assert.Equal((4L, 7L), new Shard(2, 3).Range(10));
        Assert.Equal((7L, 10L), new Shard(3, 3).Range(10));
    }

    [Fact]
    public void ChansMergeEqualsAddingOneByOneWithin1e12()
    {
        var random = new Random(7);
        var whole = new PairedTTest(2, 3);
        var parts = new[] { new PairedTTest(2, 3), new PairedTTest(2, 3), new PairedTTest(2, 3), new PairedTTest(2, 3) };
        int[] sizes = [500, 1, 0, 777];
        for (int part = 0; part < parts.Length; part++)
            for (int k = 0; k < sizes[part]; k++)
                for (int i = 0; i < 6; i++)
                {
                    double d = 0.3 * (i - 2) + random.NextDouble() * 0.01;
                    whole.Add(i, d); parts[part].Add(i, d);
                }
        var merged = new PairedTTest(2, 3);
        foreach (var p in parts) merged.Merge(p);
        for (int l = 0; l < 2; l++)
            for (int e = 0; e < 3; e++)
            {
                var x = whole.Result(l, e); var y = merged.Result(l, e);
                Assert.Equal(x.Count, y.Count);
                Assert.True(Math.Abs(x.T - y.T) <= 1e-12 * Math.Abs(x.T), $"L{l}E{e}: t {x.T:R} vs {y.T:R}");
                Assert.True(Math.Abs(x.MeanDifference - y.MeanDifference) <= 1e-12 * Math.Abs(x.MeanDifference));
            }
        // Merging into an empty state, or an empty one in, keeps the state bit for bit.
        var copy = new PairedTTest(2, 3);
        copy.Merge(parts[0]);
        copy.Merge(parts[2]);
        var s0 = parts[0].ExportState(); var s1 = copy.ExportState();
        Assert.Equal(s0.Count, s1.Count); Assert.Equal(s0.Mean, s1.Mean); Assert.Equal(s0.M2, s1.M2);
    }
}
