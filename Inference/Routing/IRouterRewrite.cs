namespace SteerMoE.Research.Inference.Routing;

/// <summary>
/// Rewrite hook: replaces router scores before the architecture's own routing (softmax or sparsemixer,
/// top-k, renormalisation) continues on them. Called once per MoE layer per forward block.
/// </summary>
public interface IRouterRewrite
{
    /// <summary>
    /// Rewrites <paramref name="scores"/> in place: [tokens, experts] row-major fp32, initially the raw router
    /// output (bias included). Must not depend on how tokens are grouped into blocks.
    /// </summary>
    void Rewrite(int layer, Span<float> scores, int tokens, int experts);
}
