using System.Text.Json;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Routing;
using SteerMoE.Research.Inference.Text;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Detection.Tests.Collection;

/// <summary>The test tokenizer (WordLevel, ids &lt; 384), chat template and paired dataset under Collection/data.</summary>
public static class CollectionTestData
{
    public static string Folder => RepoPaths.Get("tests", "SteerMoE.Research.Detection.Tests", "Collection", "data");
    public static string Pairs => Path.Combine(Folder, "pairs.jsonl");

    /// <summary>A pairs file written into a temporary folder.</summary>
    public static string WritePairs(string dir, params string[] lines)
    {
        string path = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>
    /// Counts a1, a2, N1, N2 without the collector: its own JSON reading, its own last-occurrence search, every side
    /// run alone through a plain Forward with an observer that records the top-k of every token.
    /// </summary>
    public static (long[] A1, long[] A2, long N1, long N2) IndependentCount(MoeModel model, string pairsPath, IReadOnlyDictionary<string, object?>? variables = null)
    {
        var tokenizer = Tokenizer.Load(Folder);
        var template = ChatTemplate.Load(Folder);
        int layers = model.Config.LayerCount, experts = model.Config.ExpertCount, k = model.Config.TopK;
        var a = new[] { new long[layers * experts], new long[layers * experts] };
        var n = new long[2];
        foreach (string line in File.ReadLines(pairsPath))
        {
            if (line.Trim().Length == 0) continue;
            using var doc = JsonDocument.Parse(line);
            for (int side = 0; side < 2; side++)
            {
                var messages = doc.RootElement.GetProperty($"messages_{side}").EnumerateArray()
                    .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToList();
                int[] ids = tokenizer.Encode(template.Render(messages, false, variables)).Ids;
                int[] target = tokenizer.Encode(doc.RootElement.GetProperty($"messages_{side}_target").GetString()!).Ids;
                int start = -1;
                for (int i = ids.Length - target.Length; i >= 0 && start < 0; i--)
                {
                    bool match = true;
                    for (int j = 0; j < target.Length && match; j++) match = ids[i + j] == target[j];
                    if (match) start = i;
                }
                if (start < 0) throw new InvalidOperationException("test data: target not found");
                var recorder = new TopKRecorder();
                model.Forward([ids], new ForwardOptions { Observer = recorder });
                for (int l = 0; l < layers; l++)
                    for (int t = start; t < start + target.Length; t++)
                        for (int j = 0; j < k; j++) a[side][l * experts + recorder.TopK[l][t * k + j]]++;
                n[side] += target.Length;
            }
        }
        return (a[0], a[1], n[0], n[1]);
    }

    /// <summary>Keeps a copy of every layer's [T, k] top-k of a single-sequence forward pass.</summary>
    public sealed class TopKRecorder : IRoutingObserver
    {
        public Dictionary<int, int[]> TopK { get; } = new();
        public Dictionary<int, float[]> Logits { get; } = new();
        public void OnRouting(in RoutingBatch batch)
        {
            TopK[batch.Layer] = batch.TopKIndex.ToArray();
            Logits[batch.Layer] = batch.RouterLogits.ToArray();
        }
    }
}
