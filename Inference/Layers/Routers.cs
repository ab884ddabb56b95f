namespace SteerMoE.Research.Inference.Layers;

/// <summary>
/// How an architecture turns one token's router scores (raw logits, possibly rewritten by a hook) into its
/// chosen experts and their mixing weights.
/// </summary>
public interface IRouting
{
    /// <summary>Experts chosen per token (k).</summary>
    int TopK { get; }
    /// <summary>scores [E] → index [k] (the model's own order) and weight [k].</summary>
    void Route(ReadOnlySpan<float> scores, Span<int> index, Span<float> weight);
}

/// <summary>Shared pieces of the routing variants.</summary>
public static class RoutingMath
{
    /// <summary>fp32 softmax: exp(z − max) / Σ exp(z − max).</summary>
    public static void Softmax(ReadOnlySpan<float> z, Span<float> p)
    {
        float max = float.NegativeInfinity;
        foreach (float v in z) max = MathF.Max(max, v);
        float sum = 0f;
        for (int i = 0; i < z.Length; i++) { p[i] = MathF.Exp(z[i] - max); sum += p[i]; }
        for (int i = 0; i < z.Length; i++) p[i] /= sum;
    }

    /// <summary>The k largest values in descending order (ties: lower index first), as torch.topk.</summary>
    public static void TopK(ReadOnlySpan<float> values, Span<int> index)
    {
        int k = index.Length;
        for (int j = 0; j < k; j++) index[j] = -1;
        for (int e = 0; e < values.Length; e++)
        {
            float v = values[e];
            int at = k;
            while (at > 0 && (index[at - 1] < 0 || values[index[at - 1]] < v || float.IsNaN(values[index[at - 1]]) && !float.IsNaN(v))) at--;
            if (at >= k) continue;
            for (int j = k - 1; j > at; j--) index[j] = index[j - 1];
            index[at] = e;
        }
    }
}

/// <summary>softmax over all experts, then top-k of the probabilities; optionally renormalised to sum 1
/// (Mixtral, Qwen3-MoE: renormalised; OLMoE, Qwen2-MoE: as configured by norm_topk_prob).</summary>
public sealed class SoftmaxTopKRouting(int topK, bool renormalize) : IRouting
{
    internal bool Renormalize => renormalize;   // read by the CUDA backend

    /// <inheritdoc />
    public int TopK => topK;

    /// <inheritdoc />
    public void Route(ReadOnlySpan<float> scores, Span<int> index, Span<float> weight)
    {
        Span<float> p = stackalloc float[scores.Length];
        RoutingMath.Softmax(scores, p);
        RoutingMath.TopK(p, index);
        float sum = 0f;
        for (int j = 0; j < topK; j++) { weight[j] = p[index[j]]; sum += weight[j]; }
        if (renormalize) for (int j = 0; j < topK; j++) weight[j] /= sum;
    }
}

/// <summary>gpt-oss: top-k of the scores (router bias already included), then softmax over the k chosen only.</summary>
public sealed class TopKSoftmaxRouting(int topK) : IRouting
{
    /// <inheritdoc />
    public int TopK => topK;

    /// <inheritdoc />
    public void Route(ReadOnlySpan<float> scores, Span<int> index, Span<float> weight)
    {
        RoutingMath.TopK(scores, index);
        Span<float> chosen = stackalloc float[topK];
        for (int j = 0; j < topK; j++) chosen[j] = scores[index[j]];
        RoutingMath.Softmax(chosen, weight);
    }
}

/// <summary>
/// Phi-3.5-MoE's sparsemixer (inference form, k = 2): the first expert is the argmax; its weight is its
/// softmax probability among the experts whose score is within a relative margin 2·ε of the max
/// ((max − s) / max(|s|, max) ≤ 2ε); the second is the argmax of the others, weighted the same way against
/// the second max, with the first expert excluded.
/// </summary>
public sealed class SparseMixerRouting : IRouting
{
    private readonly float _jitterEps;
    internal float JitterEps => _jitterEps;   // read by the CUDA backend

    /// <summary>Creates the router; ε is the config's router_jitter_noise.</summary>
    public SparseMixerRouting(int topK, float jitterEps)
    {
        if (topK != 2) throw new FormatException($"config.json: num_experts_per_tok: sparsemixer routes exactly 2 experts per token, got {topK}.");
        _jitterEps = jitterEps;
    }

    /// <inheritdoc />
    public int TopK => 2;

    /// <inheritdoc />
    public void Route(ReadOnlySpan<float> scores, Span<int> index, Span<float> weight)
    {
        int e = scores.Length;
        Span<float> masked = stackalloc float[e];
        Span<float> excluded = stackalloc float[e];
        scores.CopyTo(excluded);
        for (int round = 0; round < 2; round++)
        {
            // round 0 ranks the raw scores; round 1 the scores with the first choice set to -inf
            ReadOnlySpan<float> ranked = round == 0 ? scores : excluded;
            int best = 0;
            for (int i = 1; i < e; i++) if (ranked[i] > ranked[best]) best = i;
            float threshold = ranked[best];
            for (int i = 0; i < e; i++)
            {
                float factor = MathF.Max(MathF.Abs(scores[i]), threshold);
                masked[i] = (threshold - scores[i]) / factor > 2 * _jitterEps ? float.NegativeInfinity : ranked[i];
            }
            RoutingMath.Softmax(masked, masked);
            index[round] = best;
            weight[round] = masked[best];
            excluded[best] = float.NegativeInfinity;
        }
    }
}
