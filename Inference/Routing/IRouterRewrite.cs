using System.Text.Json;

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

    /// <summary>
    /// Which score the rewrite replaces where the architecture's top-k does not rank the router logits themselves
    /// (<c>ISelectionRouting</c>: DeepSeek-V2/V3, GLM-4.5, Llama 4; docs/CONTRACTS.md §3); ignored for the other routers.
    /// </summary>
    RewriteTarget Target => RewriteTarget.SelectionScore;
}

/// <summary>Where the rewrite hook sits for routers that select on a score other than the logits (docs/CONTRACTS.md §3).</summary>
public enum RewriteTarget
{
    /// <summary>
    /// The score the top-k ranks (default): DeepSeek-V2 softmax(z), DeepSeek-V3 / GLM-4.5 σ(z) + e_score_correction_bias
    /// after the group limit, Llama 4 a copy of z; the mixing weights stay the model's own for the chosen experts.
    /// Activation and deactivation are guaranteed, and an unsteered layer routes as without the rewrite.
    /// </summary>
    SelectionScore = 0,
    /// <summary>
    /// The raw router logits, before the architecture's own scoring, which then runs on the rewritten scores (weights
    /// included): where the authors' hook sits (their code rewrites the router logits that the fused top-k then scores).
    /// Paper-exact for DeepSeek-V2 (softmax is shift-invariant); for the sigmoid routers every weight becomes σ of the
    /// rewritten score, and with a selection bias activation is not guaranteed.
    /// </summary>
    RouterLogits = 1,
}

/// <summary>The PLAN.json spelling of <see cref="RewriteTarget"/> (field <c>rewrite_target</c>), read and written in one place.</summary>
public static class RewriteTargetIds
{
    /// <summary>"selection-score" or "router-logits".</summary>
    public static string Id(RewriteTarget target) => target == RewriteTarget.SelectionScore ? "selection-score" : "router-logits";

    /// <summary>Parses an id (a plan field or a command-line value); anything else is a FormatException naming <paramref name="source"/>.</summary>
    public static RewriteTarget Parse(string? id, string source) => id switch
    {
        "selection-score" => RewriteTarget.SelectionScore,
        "router-logits" => RewriteTarget.RouterLogits,
        _ => throw new FormatException($"{source}: '{id}', expected \"selection-score\" or \"router-logits\"."),
    };

    /// <summary>Reads PLAN.json's field value.</summary>
    public static RewriteTarget Parse(JsonElement value, string source) => value.ValueKind != JsonValueKind.String
        ? throw new FormatException($"{source}: field 'rewrite_target': expected \"selection-score\" or \"router-logits\".")
        : Parse(value.GetString(), $"{source}: field 'rewrite_target'");
}
