using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Inference.Tests.Routing;

/// <summary>The DeepSeek routers on hand-computed values, and where the steering rewrite sits for them.</summary>
public class GroupLimitedRoutingTests
{
    [Fact]
    public void GroupsAreScoredByMaxOrTopTwoSumAndTheOthersMasked()
    {
        // 3 groups of 2: maxima 0.5, 0.4, 0.45; top-two sums 0.5, 0.8, 0.5
        float[] scores = [0.5f, 0.0f, 0.4f, 0.4f, 0.45f, 0.05f];
        var max = (float[])scores.Clone();
        ExpertGroups.Limit(max, 3, 1, GroupScore.Max);
        Assert.Equal([0.5f, 0.0f, 0, 0, 0, 0], max);
        var sum = (float[])scores.Clone();
        ExpertGroups.Limit(sum, 3, 2, GroupScore.SumOfTopTwo);   // group 1 (0.8), then groups 0 and 2 tie at 0.5: the lower wins
        Assert.Equal([0.5f, 0.0f, 0.4f, 0.4f, 0, 0], sum);
    }

    [Fact]
    public void SigmoidRouterSelectsWithTheBiasAndWeighsWithoutIt()
    {
        // logits 0: σ = 0.5 for all; the bias alone decides the choice; weights are the unbiased 0.5, renormalised, scaled
        var routing = new BiasedSigmoidRouting(2, [0.0f, 0.3f, -0.1f, 0.2f], groups: 1, keptGroups: 1, renormalize: true, scaling: 2.5f);
        Span<int> index = stackalloc int[2]; Span<float> weight = stackalloc float[2];
        routing.Route([0f, 0f, 0f, 0f], index, weight);
        Assert.Equal([1, 3], index.ToArray());
        Assert.Equal([1.25f, 1.25f], weight.ToArray());
        var unnormalised = new BiasedSigmoidRouting(2, [0.0f, 0.3f, -0.1f, 0.2f], 1, 1, renormalize: false, scaling: 1f);
        unnormalised.Route([0f, 0f, 0f, 0f], index, weight);
        Assert.Equal([0.5f, 0.5f], weight.ToArray());
    }

    [Fact]
    public void SoftmaxGroupRouterScalesOrRenormalises()
    {
        float[] logits = [2f, 1f, 0f, 3f];
        var p = new float[4];
        RoutingMath.Softmax(logits, p);
        Span<int> index = stackalloc int[2]; Span<float> weight = stackalloc float[2];
        new GroupLimitedSoftmaxRouting(2, 2, 1, renormalize: false, scaling: 1.5f).Route(logits, index, weight);
        Assert.Equal([3, 2], index.ToArray());   // group 1 (experts 2, 3) holds the best expert; expert 2 beats the masked group 0
        Assert.Equal([p[3] * 1.5f, p[2] * 1.5f], weight.ToArray());
        new GroupLimitedSoftmaxRouting(2, 1, 1, renormalize: true, scaling: 1.5f).Route(logits, index, weight);
        Assert.Equal([3, 0], index.ToArray());
        Assert.Equal([p[3] / (p[3] + p[0] + 1e-20f), p[0] / (p[3] + p[0] + 1e-20f)], weight.ToArray());
    }

    /// <summary>
    /// The rewrite sits on the selection score (biased, group-masked): an activated expert is chosen even when its group
    /// is masked, a deactivated one never, and the weights stay the unbiased sigmoid scores.
    /// </summary>
    [Fact]
    public void SteeringRewriteActsOnTheSelectionScore()
    {
        var routing = new BiasedSigmoidRouting(2, new float[8], groups: 4, keptGroups: 2, renormalize: false, scaling: 1f);
        float[] logits = [3f, 2.9f, 2f, 1.9f, -3f, -4f, 1f, 0.9f];   // groups 0 and 1 are kept; experts 0 and 1 chosen
        var mask = SteeringMask.Parse("""{"0": {"activate": [5], "deactivate": [0]}}""", "plan");
        var batchIndex = new int[2]; var batchWeight = new float[2];
        var selection = new float[8];
        routing.SelectionScores(logits, selection);
        Assert.Equal(0f, selection[5]);   // its group is masked
        new SteeringRewrite(mask).Rewrite(0, selection, 1, 8);
        routing.Select(logits, selection, batchIndex, batchWeight);
        Assert.Equal([5, 1], batchIndex);
        Assert.Equal([1f / (1f + MathF.Exp(4f)), 1f / (1f + MathF.Exp(-2.9f))], batchWeight);
    }
}
