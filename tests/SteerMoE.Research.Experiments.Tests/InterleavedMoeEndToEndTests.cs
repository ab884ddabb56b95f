using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Routing;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>
/// Detection and steering end to end on the llama.cpp-parity random checkpoints, whose layer 0 is dense
/// (first_k_dense_replace 1): counts and rankings have rows for the MoE layers only, a plan made from them steers
/// (activated experts always routed, deactivated never), a plan naming the dense layer is refused, and the figures draw.
/// </summary>
public class InterleavedMoeEndToEndTests
{
    private static string Data => RepoPaths.Get("tests", "SteerMoE.Research.Detection.Tests", "Collection", "data");

    [Theory]
    [InlineData("deepseek_v2")]
    [InlineData("deepseek_v3")]
    [InlineData("glm4_moe")]
    [InlineData("granitemoe")]
    [InlineData("llama4")]
    public void DetectRankPlanSteerAndPlot(string arch)
    {
        string model = RepoPaths.LlamaCppFixture(arch), dir = RepoPaths.TempDir("interleaved-" + arch);
        var detect = Cli.Run("detect", "--model", model, "--tokenizer", Data, "--pairs", Path.Combine(Data, "pairs.jsonl"), "--out", dir);
        Assert.True(detect.ExitCode == 0, detect.Stderr);
        var config = ModelConfig.Load(model);
        var counts = CountTable.Load(Path.Combine(dir, "counts.csv"));
        Assert.Equal(config.MoeLayers, counts.Layers);   // a dense layer 0 has no rows
        Assert.Equal(arch != "granitemoe", !config.IsMoeLayer(0));   // Llama 4's fixture: interleave_moe_layer_step 2, layers 1 and 3
        Assert.Equal(config.MoeLayers.Length * config.ExpertCount, counts.Rows.Count);

        string ranking = Path.Combine(dir, "ranking.csv");
        var rank = Cli.Run("rank", "--counts", Path.Combine(dir, "counts.csv"), "--pair-counts", Path.Combine(dir, "pair_counts.npy"), "--resamples", "20", "--out", ranking);
        Assert.True(rank.ExitCode == 0, rank.Stderr);
        Assert.Equal(config.MoeLayers, CountTable.Load(ranking).Layers);

        string planPath = Path.Combine(dir, "plan.json");
        var plan = Cli.Run("plan", "--ranking", ranking, "--activate", "2", "--deactivate", "3", "--model", model, "--out", planPath);
        Assert.True(plan.ExitCode == 0, plan.Stderr);
        var mask = SteeringMask.Load(planPath);
        Assert.All(mask.Layers.Keys, l => Assert.True(config.IsMoeLayer(l)));
        // the same selection with the rewrite on the raw router logits (docs/CONTRACTS.md §3)
        string logitsPlan = Path.Combine(dir, "plan-router-logits.json");
        var plan2 = Cli.Run("plan", "--ranking", ranking, "--activate", "2", "--deactivate", "3", "--model", model, "--rewrite-target", "router-logits", "--out", logitsPlan);
        Assert.True(plan2.ExitCode == 0, plan2.Stderr);
        Assert.Equal(RewriteTarget.RouterLogits, SteeringRewrite.Load(logitsPlan).Target);
        Assert.Equal(mask.Layers.Keys, SteeringMask.Load(logitsPlan).Layers.Keys);
        var badTarget = Cli.Run("plan", "--ranking", ranking, "--activate", "2", "--model", model, "--rewrite-target", "logits", "--out", logitsPlan + ".x");
        Assert.Equal(2, badTarget.ExitCode);
        Assert.Contains("--rewrite-target: 'logits', expected \"selection-score\" or \"router-logits\"", badTarget.Stderr);

        // Steering: every token routes to the activated experts and never to the deactivated ones.
        using (var engine = MoeModel.Load(model))
        {
            var capture = new TopKCapture();
            var batch = new[] { Enumerable.Range(2, 12).ToArray(), Enumerable.Range(40, 9).ToArray() };
            var plain = engine.Forward(batch, new ForwardOptions { ReturnLogits = true }).Logits!;
            var steered = engine.Forward(batch, new ForwardOptions { ReturnLogits = true, Rewrite = SteeringRewrite.Load(planPath, (config.LayerCount, config.ExpertCount, config.TopK), config.DenseLayers), Observer = capture }).Logits!;
            Assert.True(plain.Zip(steered, (a, b) => MathF.Abs(a - b)).Max() > 1e-3f, "the plan leaves the logits unchanged");
            // the target matters only where the top-k ranks another score than the logits (not Granite's router)
            var viaLogits = engine.Forward(batch, new ForwardOptions { ReturnLogits = true, Rewrite = SteeringRewrite.Load(logitsPlan) }).Logits!;
            bool selecting = engine.Layers[config.MoeLayers[0]].Moe!.Routing is SteerMoE.Research.Inference.Layers.ISelectionRouting;
            Assert.Equal(selecting, steered.Zip(viaLogits, (a, b) => MathF.Abs(a - b)).Max() > 1e-4f);
            Assert.Equal(config.MoeLayers, capture.TopK.Keys.Order().ToArray());
            foreach (var (layer, sets) in mask.Layers)
            {
                var topK = capture.TopK[layer];
                for (int t = 0; t < topK.Length / config.TopK; t++)
                {
                    var chosen = topK.AsSpan(t * config.TopK, config.TopK).ToArray();
                    foreach (var e in sets.Activate) Assert.Contains(e.Expert, chosen);
                    foreach (var e in sets.Deactivate) Assert.DoesNotContain(e.Expert, chosen);
                }
            }
        }
        var trace = Cli.Run("trace", "--model", model, "--inputs", Path.Combine(model, "reference.safetensors"), "--plan", planPath, "--out", Path.Combine(dir, "steered.safetensors"));
        Assert.True(trace.ExitCode == 0, trace.Stderr);

        var plot = Cli.Run("plot", "--counts", Path.Combine(dir, "counts.csv"), "--plan", planPath, "--top", "5", "--out", Path.Combine(dir, "figures"));
        Assert.True(plot.ExitCode == 0, plot.Stderr);
        string svg = string.Join("\n", Directory.GetFiles(Path.Combine(dir, "figures"), "*.svg").Select(File.ReadAllText));
        Assert.Contains(config.DenseLayers.Length > 0 ? "2 MoE layers" : "3 layers", svg);

        if (config.DenseLayers.Length == 0) return;   // Granite: every layer is MoE
        string dense = Path.Combine(dir, "dense-plan.json");
        File.WriteAllText(dense, """{"format": "steermoe-plan/1", "layers": {"0": {"activate": [1], "deactivate": []}}}""");
        var refused = Cli.Run("trace", "--model", model, "--inputs", Path.Combine(model, "reference.safetensors"), "--plan", dense, "--out", Path.Combine(dir, "x.safetensors"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"layer 0 is a dense layer (no router, no experts to steer); the model's MoE layers are {string.Join(", ", config.MoeLayers)}", refused.Stderr);

    }
}

/// <summary>Keeps each layer's top-k [N, k] of one forward pass.</summary>
internal sealed class TopKCapture : IRoutingObserver
{
    public Dictionary<int, int[]> TopK { get; } = new();
    public void OnRouting(in RoutingBatch batch) => TopK[batch.Layer] = batch.TopKIndex.ToArray();
}
