using System.Text.Json;
using SteerMoE.Research.Detection.Collection;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Text;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Detection.Tests.Collection;

/// <summary>The paired t the collector accumulates, against a two-pass computation from plain forward passes.</summary>
public class PairedTCollectionTests
{
    private static CollectionOptions Options(int batch) => new() { Batch = batch, Tokenizer = CollectionTestData.Folder };

    /// <summary>
    /// Per (layer, expert), the differences of router probabilities over the span tokens of the pairs whose two target
    /// spans hold the same ids, each side run alone through a plain Forward; and how many pairs matched.
    /// </summary>
    private static (List<double>[] Differences, int Matched) IndependentDifferences(MoeModel model, string pairsPath)
    {
        var tokenizer = Tokenizer.Load(CollectionTestData.Folder);
        var template = ChatTemplate.Load(CollectionTestData.Folder);
        int layers = model.Config.LayerCount, experts = model.Config.ExpertCount;
        var differences = Enumerable.Range(0, layers * experts).Select(_ => new List<double>()).ToArray();
        int matched = 0;
        foreach (string line in File.ReadLines(pairsPath))
        {
            if (line.Trim().Length == 0) continue;
            using var doc = JsonDocument.Parse(line);
            var spans = new (int[] Target, int Start, CollectionTestData.TopKRecorder Routing)[2];
            for (int side = 0; side < 2; side++)
            {
                var messages = doc.RootElement.GetProperty($"messages_{side}").EnumerateArray()
                    .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToList();
                int[] ids = tokenizer.Encode(template.Render(messages, false)).Ids;
                int[] target = tokenizer.Encode(doc.RootElement.GetProperty($"messages_{side}_target").GetString()!).Ids;
                int start = Enumerable.Range(0, ids.Length - target.Length + 1).Last(i => ids.AsSpan(i, target.Length).SequenceEqual(target));
                var recorder = new CollectionTestData.TopKRecorder();
                model.Forward([ids], new ForwardOptions { Observer = recorder });
                spans[side] = (target, start, recorder);
            }
            if (!spans[0].Target.SequenceEqual(spans[1].Target)) continue;
            matched++;
            for (int l = 0; l < layers; l++)
                for (int k = 0; k < spans[0].Target.Length; k++)
                {
                    var p1 = Softmax(spans[0].Routing.Logits[l].AsSpan((spans[0].Start + k) * experts, experts));
                    var p2 = Softmax(spans[1].Routing.Logits[l].AsSpan((spans[1].Start + k) * experts, experts));
                    for (int e = 0; e < experts; e++) differences[l * experts + e].Add(p1[e] - p2[e]);
                }
        }
        return (differences, matched);
    }

    private static double[] Softmax(ReadOnlySpan<float> z)
    {
        double max = double.NegativeInfinity;
        foreach (float v in z) max = Math.Max(max, v);
        var p = new double[z.Length];
        for (int i = 0; i < z.Length; i++) p[i] = Math.Exp(z[i] - max);
        double sum = p.Sum();
        return p.Select(v => v / sum).ToArray();
    }

    [Theory]
    [InlineData("olmoe", 3)]
    [InlineData("qwen3_moe", 1)]
    [InlineData("gpt_oss", 8)]
    public void PairedTEqualsATwoPassComputationFromPlainForwardPasses(string fixture, int batch)
    {
        using var model = MoeModel.Load(RepoPaths.Fixture(fixture));
        var result = RoutingCollector.Collect(model, CollectionTestData.Pairs, RepoPaths.TempDir("collect"), Options(batch));
        var (differences, matched) = IndependentDifferences(model, CollectionTestData.Pairs);
        // Pairs 0, 2, 4, 6 (lines 1, 3, 6, 8) ask the same question with and without a document: same target ids.
        Assert.Equal(4, matched);
        Assert.Equal(matched, result.MatchedPairs);
        Assert.Equal(differences[0].Count, result.PairedT.Count);
        Assert.Equal(4 + 6 + 8 + 4, differences[0].Count);
        int experts = model.Config.ExpertCount;
        for (int i = 0; i < differences.Length; i++)
        {
            var d = differences[i];
            double mean = d.Average();
            double sd = Math.Sqrt(d.Sum(x => (x - mean) * (x - mean)) / (d.Count - 1));
            double t = mean / (sd / Math.Sqrt(d.Count));
            var r = result.PairedT.Result(i / experts, i % experts);
            Assert.True(Math.Abs(r.T - t) <= 1e-9 * Math.Max(1, Math.Abs(t)), $"{fixture} layer {i / experts} expert {i % experts}: t {r.T} vs two-pass {t}");
        }
    }

    [Fact]
    public void AResumedRunContinuesThePairedTBitForBit()
    {
        using var model = MoeModel.Load(RepoPaths.Fixture("qwen3_moe"));
        var whole = RoutingCollector.Collect(model, CollectionTestData.Pairs, RepoPaths.TempDir("collect"), Options(2));
        string dir = RepoPaths.TempDir("resume");
        var first = RoutingCollector.Collect(model, CollectionTestData.Pairs, dir, Options(2) with { StopAfterPairs = 3, CheckpointEvery = 1 });
        Assert.False(first.Completed);
        Assert.Equal(2, first.MatchedPairs);   // pairs 0 and 2
        var second = RoutingCollector.Collect(model, CollectionTestData.Pairs, dir, Options(5) with { Resume = true });
        Assert.Equal(whole.MatchedPairs, second.MatchedPairs);
        var x = whole.PairedT.ExportState(); var y = second.PairedT.ExportState();
        Assert.Equal(x.Count, y.Count);
        Assert.Equal(x.Mean.Select(BitConverter.DoubleToInt64Bits), y.Mean.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(x.M2.Select(BitConverter.DoubleToInt64Bits), y.M2.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void ACheckpointWithoutThePairedTStateIsRefusedWithTheReason()
    {
        using var model = MoeModel.Load(RepoPaths.Fixture("olmoe"));
        string dir = RepoPaths.TempDir("resume");
        RoutingCollector.Collect(model, CollectionTestData.Pairs, dir, Options(2) with { StopAfterPairs = 2 });
        string path = RoutingCollector.CheckpointPath(dir);
        var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        root.Remove("paired_t");
        File.WriteAllText(path, root.ToJsonString());
        var missing = Assert.Throws<FormatException>(() => RoutingCollector.Collect(model, CollectionTestData.Pairs, dir, Options(2) with { Resume = true }));
        Assert.Contains(path, missing.Message);
        root["format"] = "steermoe-detect-checkpoint/1";
        File.WriteAllText(path, root.ToJsonString());
        var old = Assert.Throws<FormatException>(() => RoutingCollector.Collect(model, CollectionTestData.Pairs, dir, Options(2) with { Resume = true }));
        Assert.Contains("older version", old.Message);
    }
}
