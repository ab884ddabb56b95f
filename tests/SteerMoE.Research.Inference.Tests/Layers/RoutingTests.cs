using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Layers;

namespace SteerMoE.Research.Inference.Tests.Layers;

public class RoutingTests
{
    private static (int[] Index, float[] Weight) Route(IRouting routing, params float[] scores)
    {
        var index = new int[routing.TopK]; var weight = new float[routing.TopK];
        routing.Route(scores, index, weight);
        return (index, weight);
    }

    [Fact]
    public void TopKBreaksTiesTowardTheLowerIndex()
    {
        var index = new int[2];
        RoutingMath.TopK([1f, 3f, 3f, 2f], index);
        Assert.Equal([1, 2], index);
    }

    [Fact]
    public void SoftmaxTopKWithAndWithoutRenormalisation()
    {
        // softmax([0, ln 2, ln 3, ln 4]) = [0.1, 0.2, 0.3, 0.4]
        float[] z = [0f, MathF.Log(2), MathF.Log(3), MathF.Log(4)];
        var (i, w) = Route(new SoftmaxTopKRouting(2, renormalize: false), z);
        Assert.Equal([3, 2], i);
        Assert.Equal(0.4f, w[0], 6); Assert.Equal(0.3f, w[1], 6);
        (_, w) = Route(new SoftmaxTopKRouting(2, renormalize: true), z);
        Assert.Equal(4f / 7f, w[0], 6); Assert.Equal(3f / 7f, w[1], 6);
    }

    [Fact]
    public void GptOssSoftmaxesOnlyTheChosen()
    {
        var (i, w) = Route(new TopKSoftmaxRouting(2), 0f, 2f, 1f);
        Assert.Equal([1, 2], i);
        Assert.Equal(1f / (1f + MathF.Exp(-1f)), w[0], 6);
        Assert.Equal(1f / (1f + MathF.Exp(1f)), w[1], 6);
    }

    [Fact]
    public void SparseMixerMasksByRelativeMarginAndExcludesTheFirstChoice()
    {
        // first: argmax 0; expert 1 is within 2ε = 0.02 relative (0.01 / 1), so the weight is softmax over {0, 1};
        // second: argmax of the rest is 1; expert 0 passes the margin test but is excluded (-inf): weight 1
        var (i, w) = Route(new SparseMixerRouting(2, 0.01f), 1.0f, 0.99f, 0.5f, -1f);
        Assert.Equal([0, 1], i);
        Assert.Equal(1f / (1f + MathF.Exp(-0.01f)), w[0], 6);
        Assert.Equal(1f, w[1], 6);
        // a clear winner keeps all its weight
        (i, w) = Route(new SparseMixerRouting(2, 0.01f), 5f, 1f, 0.5f, 0.9f);
        Assert.Equal([0, 1], i);
        Assert.Equal(1f, w[0]);
        Assert.Equal(1f, w[1]);
    }

    [Fact]
    public void SparseMixerNeedsTwoExperts()
    {
        Assert.Contains("exactly 2", Assert.Throws<FormatException>(() => new SparseMixerRouting(4, 0.01f)).Message);
    }

    [Fact]
    public void ClampedSwiGluClampsGateAboveAndUpBothWays()
    {
        // one expert, H = 1, I = 1: gate_up rows [gate, up] = [10 x, -10 x] with zero biases; down = 1
        unsafe
        {
            float[] gateUp = [10f, -10f];   // [2I = 2, H = 1]
            float[] down = [1f];            // [H = 1, I = 1]
            fixed (float* g = gateUp, d = down)
            {
                var experts = new ClampedSwiGluExperts(
                    [new WeightMatrix(DType.F32, g, 2, 1)], [[0f, 0f]],
                    [new WeightMatrix(DType.F32, d, 1, 1)], [[0.5f]]);
                var y = new float[1];
                experts.Apply(0, [1f], y, 1, Precision.Exact);
                // gate = min(10, 7) = 7, up = clamp(-10) = -7: (up + 1) * gate * σ(1.702 gate) + 0.5
                float expected = (-7f + 1f) * (7f / (1f + MathF.Exp(-7f * 1.702f))) + 0.5f;
                Assert.Equal(expected, y[0], 5);
            }
        }
    }
}
