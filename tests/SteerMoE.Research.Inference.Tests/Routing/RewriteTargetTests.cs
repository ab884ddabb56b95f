using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Routing;
using SteerMoE.Research.Inference.Tests.Parity;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Inference.Tests.Routing;

/// <summary>
/// Where the SteerMoE rewrite sits for the routers whose top-k ranks something other than the logits
/// (docs/CONTRACTS.md §3), on the llama.cpp-parity checkpoints: the selection score (default) or the raw logits
/// (PLAN.json rewrite_target "router-logits", the authors' hook position), with the consequences the contract states.
/// </summary>
public class RewriteTargetTests
{
    private static readonly int[][] Batch = [[5, 9, 17, 33, 65, 129, 200, 3, 77, 12], [250, 1, 44, 90]];

    private static (RoutingCapture Plain, RoutingCapture Steered) Run(string arch, SteeringMask mask, RewriteTarget target)
    {
        using var model = MoeModel.Load(RepoPaths.LlamaCppFixture(arch));
        var plain = new RoutingCapture();
        model.Forward(Batch, new ForwardOptions { Observer = plain });
        var steered = new RoutingCapture();
        model.Forward(Batch, new ForwardOptions { Observer = steered, Rewrite = new SteeringRewrite(mask, LogSoftmaxScope.AllMoeLayers, target) });
        return (plain, steered);
    }

    private static SteeringMask Mask(int layer, int[] activate, int[] deactivate) => new(new Dictionary<int, LayerSteering>
    {
        [layer] = new(activate.Select(e => new SteeredExpert(e)).ToList(), deactivate.Select(e => new SteeredExpert(e)).ToList()),
    });

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    private static float[] LogSoftmax(ReadOnlySpan<float> z)
    {
        var s = z.ToArray();
        SteeringRewrite.LogSoftmaxInPlace(s);
        return s;
    }

    /// <summary>
    /// Llama 4, selection score: the top-k ranks a copy of the logits, rewritten; an activated expert is chosen for every
    /// token with its own weight σ(z); the unsteered layer before it (its input unchanged) routes and weighs exactly as
    /// without the rewrite.
    /// </summary>
    [Fact]
    public void Llama4SelectionScoreKeepsTheModelsWeights()
    {
        var (plain, steered) = Run("llama4", Mask(3, [6], []), RewriteTarget.SelectionScore);
        var z = steered.Logits[3];
        Assert.Contains(plain.TopK[3], e => e != 6);                      // the plan has something to do
        for (int t = 0; t < steered.TopK[3].Length; t++)
        {
            Assert.Equal(6, steered.TopK[3][t]);                          // k = 1: the activated expert, always
            Assert.Equal(Sigmoid(z[t * 8 + 6]), steered.Weights[3][t]);   // weighted by σ of its raw logit
        }
        Assert.Equal(plain.TopK[1], steered.TopK[1]);
        Assert.Equal(plain.Weights[1], steered.Weights[1]);
    }

    /// <summary>
    /// Llama 4, router logits: the routing scores the rewritten values themselves, so the activated expert is chosen
    /// and weighted σ(max log_softmax + 0.01), and every layer's weights become σ(log_softmax(z)) (scope all-moe-layers):
    /// the same experts in the unsteered layer before it, other weights.
    /// </summary>
    [Fact]
    public void Llama4RouterLogitsWeighsByTheRewrittenScore()
    {
        var (plain, steered) = Run("llama4", Mask(3, [6], []), RewriteTarget.RouterLogits);
        var z = steered.Logits[3];
        for (int t = 0; t < steered.TopK[3].Length; t++)
        {
            Assert.Equal(6, steered.TopK[3][t]);
            Assert.Equal(Sigmoid(LogSoftmax(z.AsSpan(t * 8, 8)).Max() + SteeringRewrite.Epsilon), steered.Weights[3][t], 6);
        }
        Assert.Equal(plain.TopK[1], steered.TopK[1]);                     // log_softmax is monotone
        for (int t = 0; t < steered.TopK[1].Length; t++)
            Assert.Equal(Sigmoid(LogSoftmax(steered.Logits[1].AsSpan(t * 8, 8))[steered.TopK[1][t]]), steered.Weights[1][t], 6);
        Assert.True(plain.Weights[1].Zip(steered.Weights[1], (a, b) => MathF.Abs(a - b)).Min() > 1e-3f);   // every token's weight moved
    }

    /// <summary>Deactivation holds in both positions for Llama 4: the top-k ranks the rewritten score directly.</summary>
    [Theory]
    [InlineData(RewriteTarget.SelectionScore)]
    [InlineData(RewriteTarget.RouterLogits)]
    public void Llama4DeactivatedExpertIsNeverChosen(RewriteTarget target)
    {
        var (plain, steered) = Run("llama4", Mask(3, [], [0, 7]), target);
        Assert.Contains(plain.TopK[3], e => e is 0 or 7);                  // the plan has something to do
        Assert.DoesNotContain(steered.TopK[3], e => e is 0 or 7);
    }

    /// <summary>
    /// DeepSeek-V3 (σ + selection bias, group-limited): on the selection score the unsteered layer before the steered one
    /// is untouched and the activated expert always chosen; on the raw logits σ is not shift-invariant, so the unsteered
    /// layer's weights change (scope all-moe-layers).
    /// </summary>
    [Fact]
    public void DeepseekV3RewriteTargets()
    {
        var (plain, selection) = Run("deepseek_v3", Mask(2, [4], [9]), RewriteTarget.SelectionScore);
        Assert.Equal(plain.TopK[1], selection.TopK[1]);
        Assert.Equal(plain.Weights[1], selection.Weights[1]);
        int k = selection.K;
        Assert.Contains(plain.TopK[2], e => e == 9);                      // the plan has something to do
        for (int t = 0; t < selection.TopK[2].Length / k; t++)
        {
            var chosen = selection.TopK[2].AsSpan(t * k, k).ToArray();
            Assert.Contains(4, chosen);
            Assert.DoesNotContain(9, chosen);
        }
        var (_, logits) = Run("deepseek_v3", Mask(2, [4], [9]), RewriteTarget.RouterLogits);
        Assert.True(plain.Weights[1].Zip(logits.Weights[1], (a, b) => MathF.Abs(a - b)).Max() > 1e-2f);
    }

    /// <summary>
    /// DeepSeek-V2 (softmax): on the raw logits the rewrite is the paper's exactly, softmax being shift-invariant: the
    /// unsteered layer routes as without it, and the activated expert is chosen with the largest weight.
    /// </summary>
    [Fact]
    public void DeepseekV2RouterLogitsIsThePapersRewrite()
    {
        var (plain, steered) = Run("deepseek_v2", Mask(2, [5], []), RewriteTarget.RouterLogits);
        Assert.Equal(plain.TopK[1], steered.TopK[1]);
        Assert.True(plain.Weights[1].Zip(steered.Weights[1], (a, b) => MathF.Abs(a - b)).Max() < 1e-6f);
        int k = steered.K;
        for (int t = 0; t < steered.TopK[2].Length / k; t++)
        {
            Assert.Equal(5, steered.TopK[2][t * k]);                       // first in the model's order: the top probability
            Assert.Equal(steered.Weights[2].AsSpan(t * k, k).ToArray().Max(), steered.Weights[2][t * k]);
        }
    }

    [Fact]
    public void PlanFieldSelectsTheTarget()
    {
        const string Plan = """{"format": "steermoe-plan/1", "layers": {"1": {"activate": [2], "deactivate": []}}, "rewrite_target": "router-logits"}""";
        string path = Path.Combine(RepoPaths.TempDir("rewrite-target"), "plan.json");
        File.WriteAllText(path, Plan);
        Assert.Equal(RewriteTarget.RouterLogits, SteeringRewrite.Load(path).Target);
        File.WriteAllText(path, Plan.Replace("router-logits", "logits"));
        var e = Assert.Throws<FormatException>(() => SteeringRewrite.Load(path));
        Assert.Contains($"{path}: field 'rewrite_target': 'logits', expected \"selection-score\" or \"router-logits\"", e.Message);
        File.WriteAllText(path, Plan.Replace(", \"rewrite_target\": \"router-logits\"", ""));
        Assert.Equal(RewriteTarget.SelectionScore, SteeringRewrite.Load(path).Target);
    }
}
