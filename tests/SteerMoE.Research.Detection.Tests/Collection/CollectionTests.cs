using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Data.RoutingLogs;
using SteerMoE.Research.Detection.Collection;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Text;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Detection.Tests.Collection;

public class CollectionTests
{
    private static CollectionOptions Options(int batch = 3) => new() { Batch = batch, Tokenizer = CollectionTestData.Folder };

    [Theory]
    [InlineData("olmoe", 1)]
    [InlineData("olmoe", 3)]
    [InlineData("qwen3_moe", 4)]
    [InlineData("gpt_oss", 2)]
    [InlineData("phimoe", 8)]
    public void CountsEqualAnIndependentCountFromPlainForwardPasses(string fixture, int batch)
    {
        using var model = MoeModel.Load(RepoPaths.Fixture(fixture));
        var result = RoutingCollector.Collect(model, CollectionTestData.Pairs, RepoPaths.TempDir("collect"), Options(batch));
        var (a1, a2, n1, n2) = CollectionTestData.IndependentCount(model, CollectionTestData.Pairs);
        Assert.True(result.Completed);
        Assert.Equal(8, result.PairsTotal);
        Assert.Equal(n1, result.Counts.Tokens1);
        Assert.Equal(n2, result.Counts.Tokens2);
        Assert.Equal(a1, result.Counts.Activations1);
        Assert.Equal(a2, result.Counts.Activations2);
        // Every counted token activates exactly k experts per layer.
        int k = model.Config.TopK, e = model.Config.ExpertCount;
        for (int l = 0; l < model.Config.LayerCount; l++)
        {
            Assert.Equal(n1 * k, result.Counts.Activations1.Skip(l * e).Take(e).Sum());
            Assert.Equal(n2 * k, result.Counts.Activations2.Skip(l * e).Take(e).Sum());
        }
        var table = result.Counts.ToCountTable();
        Assert.Equal(n1, table.N1);
        Assert.Equal(model.Config.LayerCount * e, table.Rows.Count);
    }

    [Fact]
    public void TokenTotalsAreTheTargetsTokenCounts()
    {
        // Targets of the test pairs, in WordLevel tokens (one per space-separated word or punctuation mark):
        // side 1: 4 + 19 + 6 + 12 + 8 + 1 + 4 + 12 = 66; side 2: 4 + 19 + 6 + 7 + 8 + 1 + 4 + 9 = 58.
        using var model = MoeModel.Load(RepoPaths.Fixture("olmoe"));
        var result = RoutingCollector.Collect(model, CollectionTestData.Pairs, RepoPaths.TempDir("collect"), Options());
        Assert.Equal(66, result.Counts.Tokens1);
        Assert.Equal(58, result.Counts.Tokens2);
    }

    [Fact]
    public void TheLastOccurrenceOfTheTargetIsCounted()
    {
        var tokenizer = Tokenizer.Load(CollectionTestData.Folder);
        var encoder = new PairEncoder(tokenizer, ChatTemplate.Load(CollectionTestData.Folder), null, 384);
        var pair = Data.Pairs.PairedExample.Answers("count to ten", "ten", "one two three");
        var encoded = encoder.Encode(pair, 0, 1, "pairs.jsonl: line 1");
        // "<|user|> count to ten <|end|> <|assistant|> ten <|end|>": "ten" at 3 and 6, the last one counts.
        Assert.Equal(8, encoded.Side1.Ids.Length);
        Assert.Equal(6, encoded.Side1.SpanStart);
        Assert.Equal(1, encoded.Side1.SpanLength);
        Assert.Equal(tokenizer.TokenToId("ten"), encoded.Side1.Ids[6]);
        Assert.Equal(tokenizer.TokenToId("ten"), encoded.Side1.Ids[3]);
        Assert.Equal(6, encoded.Side2.SpanStart);
        Assert.Equal(3, encoded.Side2.SpanLength);
    }

    [Fact]
    public void FindLastSearchesTokenSubLists()
    {
        Assert.Equal(4, TargetLocator.FindLast([1, 2, 3, 9, 2, 3, 5], [2, 3]));
        Assert.Equal(0, TargetLocator.FindLast([7, 8], [7, 8]));
        Assert.Equal(-1, TargetLocator.FindLast([1, 2, 3], [3, 4]));
        Assert.Equal(-1, TargetLocator.FindLast([1], [1, 1]));
        Assert.Throws<ArgumentException>(() => TargetLocator.FindLast([1], []));
    }

    [Fact]
    public void TemplateVariablesReachTheTemplate()
    {
        using var model = MoeModel.Load(RepoPaths.Fixture("olmoe"));
        var variables = new Dictionary<string, object?> { ["note"] = "Be brief" };
        var plain = RoutingCollector.Collect(model, CollectionTestData.Pairs, RepoPaths.TempDir("collect"), Options());
        var withNote = RoutingCollector.Collect(model, CollectionTestData.Pairs, RepoPaths.TempDir("collect"), Options() with { Variables = variables });
        var (a1, a2, _, _) = CollectionTestData.IndependentCount(model, CollectionTestData.Pairs, variables);
        Assert.Equal(a1, withNote.Counts.Activations1);
        Assert.Equal(a2, withNote.Counts.Activations2);
        Assert.True(withNote.PromptTokens > plain.PromptTokens);
        Assert.NotEqual(plain.Inputs.Fingerprint(), withNote.Inputs.Fingerprint());
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(3, 5)]
    [InlineData(4, 1)]
    public void AStoppedRunResumedGivesTheUninterruptedCounts(int stopAfter, int batch)
    {
        using var model = MoeModel.Load(RepoPaths.Fixture("qwen3_moe"));
        var whole = RoutingCollector.Collect(model, CollectionTestData.Pairs, RepoPaths.TempDir("collect"), Options(batch));
        string dir = RepoPaths.TempDir("resume");
        var first = RoutingCollector.Collect(model, CollectionTestData.Pairs, dir, Options(batch) with { StopAfterPairs = stopAfter, CheckpointEvery = 2 });
        Assert.False(first.Completed);
        Assert.Equal(stopAfter, first.PairsDone);
        Assert.True(File.Exists(RoutingCollector.CheckpointPath(dir)));
        // Without --resume the unfinished run is not silently overwritten.
        var refused = Assert.Throws<ArgumentException>(() => RoutingCollector.Collect(model, CollectionTestData.Pairs, dir, Options(batch)));
        Assert.Contains("--resume", refused.Message);
        var second = RoutingCollector.Collect(model, CollectionTestData.Pairs, dir, Options(batch + 1) with { Resume = true });
        Assert.True(second.Completed);
        Assert.Equal(whole.Counts.Activations1, second.Counts.Activations1);
        Assert.Equal(whole.Counts.Activations2, second.Counts.Activations2);
        Assert.Equal(whole.Counts.Tokens1, second.Counts.Tokens1);
        Assert.Equal(whole.Counts.Tokens2, second.Counts.Tokens2);
        Assert.Equal(whole.PromptTokens, second.PromptTokens);
    }

    [Fact]
    public void ACancelledRunCheckpointsAndResumes()
    {
        using var model = MoeModel.Load(RepoPaths.Fixture("olmoe"));
        var whole = RoutingCollector.Collect(model, CollectionTestData.Pairs, RepoPaths.TempDir("collect"), Options(2));
        string dir = RepoPaths.TempDir("cancel");
        using var cancel = new CancellationTokenSource();
        var first = RoutingCollector.Collect(model, CollectionTestData.Pairs, dir, Options(2) with
        {
            Cancellation = cancel.Token, CheckpointEvery = 100,
            Progress = p => { if (p.PairsDone >= 4) cancel.Cancel(); },
        });
        Assert.False(first.Completed);
        Assert.Equal(4, first.PairsDone);
        var second = RoutingCollector.Collect(model, CollectionTestData.Pairs, dir, Options(2) with { Resume = true });
        Assert.Equal(whole.Counts.Activations1, second.Counts.Activations1);
        Assert.Equal(whole.Counts.Activations2, second.Counts.Activations2);
    }

    [Fact]
    public void ResumingWithOtherInputsIsRefused()
    {
        using var model = MoeModel.Load(RepoPaths.Fixture("olmoe"));
        string dir = RepoPaths.TempDir("resume");
        RoutingCollector.Collect(model, CollectionTestData.Pairs, dir, Options() with { StopAfterPairs = 2 });
        var lines = File.ReadAllLines(CollectionTestData.Pairs).Where(l => l.Trim().Length > 0).Take(5).ToArray();
        string other = CollectionTestData.WritePairs(RepoPaths.TempDir("pairs"), lines);
        var e = Assert.Throws<ArgumentException>(() => RoutingCollector.Collect(model, other, dir, Options() with { Resume = true }));
        Assert.Contains("checkpoint.json", e.Message);
        Assert.Contains("other inputs", e.Message);
        var fast = Assert.Throws<ArgumentException>(() => RoutingCollector.Collect(model, CollectionTestData.Pairs, dir, Options() with { Resume = true, Precision = Inference.Precision.Fast }));
        Assert.Contains("other inputs", fast.Message);
    }

    [Fact]
    public void AMissingTargetNamesTheFileLineAndField()
    {
        using var model = MoeModel.Load(RepoPaths.Fixture("olmoe"));
        string dir = RepoPaths.TempDir("bad");
        var good = File.ReadAllLines(CollectionTestData.Pairs)[0];
        // "Paris" is in the text of side 2 ("Parisian"), but not as a token: the word tokenizes as [UNK].
        string bad = "{\"messages_0\": [{\"role\": \"user\", \"content\": \"Where is Paris ?\"}], \"messages_1\": [{\"role\": \"user\", \"content\": \"Question : Where is Parisian ?\"}], \"messages_0_target\": \"Paris ?\", \"messages_1_target\": \"Paris\"}";
        string path = CollectionTestData.WritePairs(dir, good, "", bad);
        var e = Assert.Throws<FormatException>(() => RoutingCollector.Collect(model, path, Path.Combine(dir, "run"), Options()));
        Assert.Contains($"{path}: line 3: messages_1_target", e.Message);
        Assert.Contains("does not occur", e.Message);
        Assert.False(File.Exists(RoutingCollector.CheckpointPath(Path.Combine(dir, "run"))));
    }

    [Fact]
    public void AMalformedLineNamesTheFileLineAndField()
    {
        using var model = MoeModel.Load(RepoPaths.Fixture("olmoe"));
        string dir = RepoPaths.TempDir("bad");
        var good = File.ReadAllLines(CollectionTestData.Pairs)[0];
        string path = CollectionTestData.WritePairs(dir, good, good, good.Replace("\"messages_0_target\"", "\"target\""));
        var e = Assert.Throws<FormatException>(() => RoutingCollector.Collect(model, path, Path.Combine(dir, "run"), Options()));
        Assert.Contains($"{path}: line 3", e.Message);
        Assert.Contains("messages_0_target", e.Message);
        string broken = CollectionTestData.WritePairs(RepoPaths.TempDir("bad"), good, "{\"messages_0\": [");
        var j = Assert.Throws<FormatException>(() => RoutingCollector.Collect(model, broken, Path.Combine(dir, "run2"), Options()));
        Assert.Contains($"{broken}: line 2: not valid JSON", j.Message);
    }

    [Fact]
    public void RoutingLogHoldsEveryTokenAndReproducesTheCounts()
    {
        using var model = MoeModel.Load(RepoPaths.Fixture("olmoe"));
        string dir = RepoPaths.TempDir("log");
        string logDir = Path.Combine(dir, "routing-log");
        var result = RoutingCollector.Collect(model, CollectionTestData.Pairs, dir, Options(3) with { RoutingLog = logDir });
        int layers = model.Config.LayerCount, experts = model.Config.ExpertCount, k = model.Config.TopK;
        var logits = NpyArray.Load(Path.Combine(logDir, "router_logits.npy"));
        var topk = NpyArray.Load(Path.Combine(logDir, "topk.npy"));
        var pair = NpyArray.Load(Path.Combine(logDir, "pair.npy")).Ints();
        var side = NpyArray.Load(Path.Combine(logDir, "side.npy")).Data;
        var position = NpyArray.Load(Path.Combine(logDir, "position.npy")).Ints();
        var tokenIds = NpyArray.Load(Path.Combine(logDir, "token_id.npy")).Ints();
        var inTarget = NpyArray.Load(Path.Combine(logDir, "in_target.npy")).Data;
        long n = result.PromptTokens;
        Assert.Equal(n, result.RoutingLogRows);
        Assert.Equal(new[] { n, layers, experts }, logits.Shape);
        Assert.Equal(new[] { n, layers, k }, topk.Shape);
        Assert.Equal(n, pair.Length);
        var a = new[] { new long[layers * experts], new long[layers * experts] };
        var top = topk.Ints();
        for (int r = 0; r < n; r++)
            if (inTarget[r] == 1)
                for (int l = 0; l < layers; l++)
                    for (int j = 0; j < k; j++) a[side[r] - 1][l * experts + top[(r * layers + l) * k + j]]++;
        Assert.Equal(result.Counts.Activations1, a[0]);
        Assert.Equal(result.Counts.Activations2, a[1]);
        Assert.Equal(result.Counts.Tokens1 + result.Counts.Tokens2, inTarget.Count(b => b == 1));
        // Pair 0 side 1's router logits equal a plain forward pass of that side alone.
        int rows = 0; while (pair[rows] == 0 && side[rows] == 1) rows++;
        var recorder = new CollectionTestData.TopKRecorder();
        model.Forward([tokenIds[..rows]], new ForwardOptions { Observer = recorder });
        var all = logits.Floats();
        for (int t = 0; t < rows; t++)
        {
            Assert.Equal(t, position[t]);
            for (int l = 0; l < layers; l++)
                Assert.Equal(recorder.Logits[l].AsSpan(t * experts, experts).ToArray(), all.AsSpan((t * layers + l) * experts, experts).ToArray());
        }
        Assert.True(File.Exists(Path.Combine(logDir, RoutingLogWriter.SidecarName)));
    }

    [Fact]
    public void ARoutingLogResumesWithoutDuplicateRows()
    {
        using var model = MoeModel.Load(RepoPaths.Fixture("olmoe"));
        string wholeDir = RepoPaths.TempDir("log");
        RoutingCollector.Collect(model, CollectionTestData.Pairs, wholeDir, Options(2) with { RoutingLog = Path.Combine(wholeDir, "log") });
        string dir = RepoPaths.TempDir("log");
        // Checkpoint after 2 pairs, stop after 3: the third pair's rows are written but not checkpointed... the stop
        // writes a final checkpoint, so simulate a crash by restoring the earlier checkpoint file.
        RoutingCollector.Collect(model, CollectionTestData.Pairs, dir, Options(1) with { RoutingLog = Path.Combine(dir, "log"), StopAfterPairs = 2, CheckpointEvery = 1 });
        string saved = File.ReadAllText(RoutingCollector.CheckpointPath(dir));
        RoutingCollector.Collect(model, CollectionTestData.Pairs, dir, Options(1) with { RoutingLog = Path.Combine(dir, "log"), StopAfterPairs = 5, CheckpointEvery = 1, Resume = true });
        File.WriteAllText(RoutingCollector.CheckpointPath(dir), saved);   // the crash: rows of pairs 2..4 exist past the checkpoint
        RoutingCollector.Collect(model, CollectionTestData.Pairs, dir, Options(3) with { RoutingLog = Path.Combine(dir, "log"), Resume = true });
        foreach (var name in new[] { "router_logits", "topk", "pair", "side", "position", "token_id", "in_target" })
        {
            var expected = NpyArray.Load(Path.Combine(wholeDir, "log", name + ".npy"));
            var actual = NpyArray.Load(Path.Combine(dir, "log", name + ".npy"));
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.Data, actual.Data);
        }
    }
}
