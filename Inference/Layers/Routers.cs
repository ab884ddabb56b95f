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

/// <summary>
/// A routing whose top-k ranks a selection score that is not the router logits themselves (sigmoid routers with a
/// selection bias, group-limited routers): the MoE block computes the selection scores, lets the rewrite hook change
/// them, then selects. The mixing weights come from the logits (unbiased scores), never from the selection scores.
/// </summary>
public interface ISelectionRouting : IRouting
{
    /// <summary>logits [E] → the score the top-k ranks, selection [E] (masked groups included, see the implementations).</summary>
    void SelectionScores(ReadOnlySpan<float> logits, Span<float> selection);
    /// <summary>The top-k of <paramref name="selection"/> (possibly rewritten) → index [k]; weight [k] from <paramref name="logits"/>.</summary>
    void Select(ReadOnlySpan<float> logits, ReadOnlySpan<float> selection, Span<int> index, Span<float> weight);
}

/// <summary>How the group-limited routers score a group of experts.</summary>
public enum GroupScore
{
    /// <summary>The group's largest score (DeepSeek-V2's group_limited_greedy).</summary>
    Max,
    /// <summary>The sum of the group's two largest scores (DeepSeek-V3's and GLM-4.5's noaux_tc).</summary>
    SumOfTopTwo,
}

/// <summary>
/// Group-limited expert choice (DeepSeek): the E experts form <c>groups</c> equal consecutive groups; each group is
/// scored (<see cref="GroupScore"/>), the <c>keptGroups</c> best groups are kept (ties: lower group first) and the other
/// experts' scores are set to 0, as transformers' masked_fill(…, 0.0). One group: the scores unchanged.
/// </summary>
public static class ExpertGroups
{
    /// <summary>Masks <paramref name="scores"/> [E] in place to the kept groups.</summary>
    public static void Limit(Span<float> scores, int groups, int keptGroups, GroupScore rule)
    {
        if (groups <= 1) return;
        int per = scores.Length / groups;
        Span<float> groupScore = stackalloc float[groups];
        Span<int> two = stackalloc int[2];
        for (int g = 0; g < groups; g++)
        {
            var members = scores.Slice(g * per, per);
            if (rule == GroupScore.Max) { float m = float.NegativeInfinity; foreach (float v in members) m = MathF.Max(m, v); groupScore[g] = m; }
            else { RoutingMath.TopK(members, two); groupScore[g] = members[two[0]] + members[two[1]]; }
        }
        Span<int> kept = stackalloc int[keptGroups];
        RoutingMath.TopK(groupScore, kept);
        for (int g = 0; g < groups; g++)
            if (kept.IndexOf(g) < 0) scores.Slice(g * per, per).Clear();
    }
}

/// <summary>
/// DeepSeek-V2: softmax over all experts (fp32), group-limited (group_limited_greedy: a group scores its best expert;
/// greedy: one group), top-k of the probabilities; the weights are the chosen probabilities, renormalised to sum 1
/// (plus 1e-20) when norm_topk_prob and k &gt; 1, else multiplied by routed_scaling_factor (transformers' DeepSeek-V2:
/// one or the other).
/// </summary>
public sealed class GroupLimitedSoftmaxRouting(int topK, int groups, int keptGroups, bool renormalize, float scaling) : ISelectionRouting
{
    /// <inheritdoc />
    public int TopK => topK;

    /// <inheritdoc />
    public void SelectionScores(ReadOnlySpan<float> logits, Span<float> selection)
    {
        RoutingMath.Softmax(logits, selection);
        ExpertGroups.Limit(selection, groups, keptGroups, GroupScore.Max);
    }

    /// <inheritdoc />
    public void Select(ReadOnlySpan<float> logits, ReadOnlySpan<float> selection, Span<int> index, Span<float> weight)
    {
        Span<float> p = stackalloc float[logits.Length];
        RoutingMath.Softmax(logits, p);
        RoutingMath.TopK(selection, index);
        float sum = 0f;
        for (int j = 0; j < topK; j++) { weight[j] = p[index[j]]; sum += weight[j]; }
        if (topK > 1 && renormalize) for (int j = 0; j < topK; j++) weight[j] /= sum + 1e-20f;
        else for (int j = 0; j < topK; j++) weight[j] *= scaling;
    }

    /// <inheritdoc />
    public void Route(ReadOnlySpan<float> scores, Span<int> index, Span<float> weight)
    {
        Span<float> selection = stackalloc float[scores.Length];
        SelectionScores(scores, selection);
        Select(scores, selection, index, weight);
    }
}

/// <summary>
/// DeepSeek-V3 / GLM-4.5 (noaux_tc): s = σ(logits) (fp32); the selection score s + e_score_correction_bias, limited to
/// the best groups (a group scores the sum of its two best selection scores); top-k of the selection scores; the
/// weights are the chosen experts' unbiased s, renormalised to sum 1 (plus 1e-20) when norm_topk_prob and k &gt; 1, then
/// multiplied by routed_scaling_factor.
/// </summary>
public sealed class BiasedSigmoidRouting(int topK, float[] bias, int groups, int keptGroups, bool renormalize, float scaling) : ISelectionRouting
{
    /// <inheritdoc />
    public int TopK => topK;
    /// <summary>The selection bias [E] (e_score_correction_bias).</summary>
    public IReadOnlyList<float> Bias => bias;

    private static float Sigmoid(float z) => 1f / (1f + MathF.Exp(-z));

    /// <inheritdoc />
    public void SelectionScores(ReadOnlySpan<float> logits, Span<float> selection)
    {
        for (int e = 0; e < logits.Length; e++) selection[e] = Sigmoid(logits[e]) + bias[e];
        ExpertGroups.Limit(selection, groups, keptGroups, GroupScore.SumOfTopTwo);
    }

    /// <inheritdoc />
    public void Select(ReadOnlySpan<float> logits, ReadOnlySpan<float> selection, Span<int> index, Span<float> weight)
    {
        RoutingMath.TopK(selection, index);
        float sum = 0f;
        for (int j = 0; j < topK; j++) { weight[j] = Sigmoid(logits[index[j]]); sum += weight[j]; }
        if (topK > 1 && renormalize) for (int j = 0; j < topK; j++) weight[j] /= sum + 1e-20f;
        for (int j = 0; j < topK; j++) weight[j] *= scaling;
    }

    /// <inheritdoc />
    public void Route(ReadOnlySpan<float> scores, Span<int> index, Span<float> weight)
    {
        Span<float> selection = stackalloc float[scores.Length];
        SelectionScores(scores, selection);
        Select(scores, selection, index, weight);
    }
}

/// <summary>
/// Llama 4: top-k of the logits, each chosen expert weighted σ(its logit), no renormalisation; the block applies the
/// weight to the expert's input (<see cref="MoeBlock.WeightsScaleInputs"/>). The rewrite sits on a copy of the logits
/// (the selection score); the weights stay σ of the unrewritten logits (docs/CONTRACTS.md §3).
/// </summary>
public sealed class SigmoidTopKRouting(int topK) : ISelectionRouting
{
    /// <inheritdoc />
    public int TopK => topK;

    /// <inheritdoc />
    public void SelectionScores(ReadOnlySpan<float> logits, Span<float> selection) => logits.CopyTo(selection);

    /// <inheritdoc />
    public void Select(ReadOnlySpan<float> logits, ReadOnlySpan<float> selection, Span<int> index, Span<float> weight)
    {
        RoutingMath.TopK(selection, index);
        for (int j = 0; j < topK; j++) weight[j] = 1f / (1f + MathF.Exp(-logits[index[j]]));
    }

    /// <inheritdoc />
    public void Route(ReadOnlySpan<float> scores, Span<int> index, Span<float> weight) => Select(scores, scores, index, weight);
}

