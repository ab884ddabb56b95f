using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Inference.Layers;

/// <summary>A dense SwiGLU expert that every token goes through, scaled by σ(gate · x) (Qwen2-MoE's shared expert).</summary>
public sealed class SharedExpert(SwiGluExperts expert, Linear gate)
{
    internal SwiGluExperts Expert => expert;   // read by the CUDA backend's upload
    internal Linear Gate => gate;

    /// <summary>Adds σ(gate x) · expert(x) to y. x, y [n, H].</summary>
    public void AddTo(ReadOnlySpan<float> x, Span<float> y, int n, Precision precision)
    {
        int hidden = expert.Hidden;
        var output = new float[n * hidden];   // [n, H]
        var g = new float[n];                  // [n, 1]
        expert.Apply(0, x, output, n, precision);
        gate.Apply(x, g, n, precision);
        for (int t = 0; t < n; t++)
        {
            float s = 1f / (1f + MathF.Exp(-g[t]));
            for (int h = 0; h < hidden; h++) y[t * hidden + h] += output[t * hidden + h] * s;
        }
    }
}

/// <summary>
/// A sparse MoE block: router (linear, optional bias) → optional rewrite hook → the architecture's routing →
/// observer hook → the chosen experts, weighted and summed in expert order (so the sum does not depend on
/// threads) → plus the optional shared expert.
/// </summary>
public sealed class MoeBlock(Linear router, IRouting routing, IExpertBank experts, SharedExpert? shared = null)
{
    /// <summary>The router projection [E, H] (with bias for gpt-oss).</summary>
    public Linear Router { get; } = router;
    /// <summary>The routing rule.</summary>
    public IRouting Routing { get; } = routing;
    /// <summary>The experts.</summary>
    public IExpertBank Experts { get; } = experts;
    /// <summary>The shared expert, or null.</summary>
    public SharedExpert? Shared { get; } = shared;

    /// <summary>x [N, H] → y [N, H] (overwritten).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, TokenLayout layout, int layer, IRouterRewrite? rewrite, IRoutingObserver? observer, Precision precision)
    {
        int n = layout.Count, e = Experts.Count, k = Routing.TopK, hidden = Experts.Hidden;
        var logits = new float[n * e];     // [N, E] raw router output
        Router.Apply(x, logits, n, precision);
        float[] scores = logits;
        if (rewrite is not null)
        {
            scores = (float[])logits.Clone();
            rewrite.Rewrite(layer, scores, n, e);
        }
        var index = new int[n * k];        // [N, k]
        var weight = new float[n * k];     // [N, k]
        for (int t = 0; t < n; t++)
            Routing.Route(scores.AsSpan(t * e, e), index.AsSpan(t * k, k), weight.AsSpan(t * k, k));
        observer?.OnRouting(new RoutingBatch(layer, e, k, logits, index, weight, layout.Sequence, layout.Position));

        y.Slice(0, n * hidden).Clear();
        var rows = new List<int>();
        var rowWeights = new List<float>();
        for (int expert = 0; expert < e; expert++)
        {
            rows.Clear(); rowWeights.Clear();
            for (int t = 0; t < n; t++)
                for (int j = 0; j < k; j++)
                    if (index[t * k + j] == expert) { rows.Add(t); rowWeights.Add(weight[t * k + j]); }
            if (rows.Count == 0) continue;
            var input = new float[rows.Count * hidden];    // [n_e, H] gathered rows
            var output = new float[rows.Count * hidden];   // [n_e, H]
            for (int i = 0; i < rows.Count; i++) x.Slice(rows[i] * hidden, hidden).CopyTo(input.AsSpan(i * hidden));
            Experts.Apply(expert, input, output, rows.Count, precision);
            for (int i = 0; i < rows.Count; i++)
            {
                var dst = y.Slice(rows[i] * hidden, hidden);
                float w = rowWeights[i];
                for (int h = 0; h < hidden; h++) dst[h] += output[i * hidden + h] * w;
            }
        }
        Shared?.AddTo(x, y, n, precision);
    }
}

/// <summary>One decoder layer: x += attn(norm1(x)); x += moe(norm2(x)).</summary>
public sealed class DecoderLayer(INorm attentionNorm, Attention attention, INorm moeNorm, MoeBlock moe)
{
    /// <summary>Norm before attention.</summary>
    public INorm AttentionNorm { get; } = attentionNorm;
    /// <summary>Self-attention.</summary>
    public Attention Attention { get; } = attention;
    /// <summary>Norm before the MoE block.</summary>
    public INorm MoeNorm { get; } = moeNorm;
    /// <summary>The MoE block.</summary>
    public MoeBlock Moe { get; } = moe;
}
