using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Inference.Tests.Parity;

/// <summary>An observer that keeps each layer's raw router logits [N, E], top-k [N, k] and weights of one forward pass.</summary>
internal sealed class RoutingCapture : IRoutingObserver
{
    public Dictionary<int, float[]> Logits { get; } = new();
    public Dictionary<int, int[]> TopK { get; } = new();
    public Dictionary<int, float[]> Weights { get; } = new();
    public int K { get; private set; }
    public int E { get; private set; }

    public void OnRouting(in RoutingBatch batch)
    {
        K = batch.TopK; E = batch.ExpertCount;
        Logits[batch.Layer] = batch.RouterLogits.ToArray();
        TopK[batch.Layer] = batch.TopKIndex.ToArray();
        Weights[batch.Layer] = batch.TopKWeight.ToArray();
    }
}
