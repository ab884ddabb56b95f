using System.Text.Json;

namespace SteerMoE.Research.Inference.Routing;

/// <summary>Where the log_softmax of the SteerMoE rewrite is applied.</summary>
public enum LogSoftmaxScope
{
    /// <summary>Every MoE layer once steering is on, as the authors' code does (paper-exact; the default).</summary>
    AllMoeLayers = 0,

    /// <summary>Only layers the mask steers. Differs from AllMoeLayers only for routers that are not
    /// shift-invariant, i.e. Phi-3.5-MoE's sparsemixer.</summary>
    SteeredLayersOnly = 1,
}

/// <summary>The PLAN.json spelling of <see cref="LogSoftmaxScope"/> (field <c>log_softmax_scope</c>), read and written in one place.</summary>
public static class LogSoftmaxScopeIds
{
    /// <summary>"all-moe-layers" or "steered-layers-only".</summary>
    public static string Id(LogSoftmaxScope scope) => scope == LogSoftmaxScope.AllMoeLayers ? "all-moe-layers" : "steered-layers-only";

    /// <summary>Reads the field's value; anything else is a FormatException naming <paramref name="source"/> and the field.</summary>
    public static LogSoftmaxScope Parse(JsonElement value, string source) => value.ValueKind != JsonValueKind.String
        ? throw new FormatException($"{source}: field 'log_softmax_scope': expected \"all-moe-layers\" or \"steered-layers-only\".")
        : value.GetString() switch
        {
            "all-moe-layers" => LogSoftmaxScope.AllMoeLayers,
            "steered-layers-only" => LogSoftmaxScope.SteeredLayersOnly,
            var id => throw new FormatException($"{source}: field 'log_softmax_scope': '{id}', expected \"all-moe-layers\" or \"steered-layers-only\"."),
        };
}

/// <summary>
/// The SteerMoE router-logit rewrite (STEERMOE.md §3), exact: s = log_softmax(z); for activated experts
/// s_e = max_j s_j + 0.01, for deactivated s_e = min_j s_j - 0.01, max and min taken before either
/// assignment. With a strength λ &lt; 1 an expert's score moves linearly from s_e (λ = 0) to that target (λ = 1).
/// </summary>
public sealed class SteeringRewrite : IRouterRewrite
{
    /// <summary>The margin the authors add above the max / below the min.</summary>
    public const float Epsilon = 0.01f;

    /// <summary>Creates the rewrite for a mask.</summary>
    public SteeringRewrite(SteeringMask mask, LogSoftmaxScope scope = LogSoftmaxScope.AllMoeLayers, RewriteTarget target = RewriteTarget.SelectionScore)
    {
        Mask = mask; Scope = scope; Target = target;
    }

    /// <summary>The experts steered.</summary>
    public SteeringMask Mask { get; }
    /// <summary>Where the log_softmax is applied.</summary>
    public LogSoftmaxScope Scope { get; }
    /// <summary>Which score the rewrite replaces for routers that select on another score than the logits (PLAN.json's rewrite_target).</summary>
    public RewriteTarget Target { get; }

    /// <inheritdoc />
    public void Rewrite(int layer, Span<float> scores, int tokens, int experts)
    {
        var sets = Mask.ForLayer(layer);
        if (sets is null && Scope == LogSoftmaxScope.SteeredLayersOnly) return;
        for (int t = 0; t < tokens; t++)
        {
            var row = scores.Slice(t * experts, experts);
            LogSoftmaxInPlace(row);
            if (sets is null) continue;
            float max = float.NegativeInfinity, min = float.PositiveInfinity;
            foreach (float v in row) { if (v > max) max = v; if (v < min) min = v; }
            foreach (var e in sets.Activate) row[e.Expert] = MoveToward(row[e.Expert], max + Epsilon, e.Strength);
            foreach (var e in sets.Deactivate) row[e.Expert] = MoveToward(row[e.Expert], min - Epsilon, e.Strength);
        }
    }

    /// <summary>
    /// Reads a PLAN.json (or bare steering.json) with its <c>log_softmax_scope</c> ("all-moe-layers", the default,
    /// or "steered-layers-only") and <c>rewrite_target</c> ("selection-score", the default, or "router-logits") and,
    /// when a model shape is given, validates the mask against it.
    /// </summary>
    public static SteeringRewrite Load(string path, (int Layers, int Experts, int TopK)? model = null, IReadOnlyCollection<int>? denseLayers = null)
    {
        var mask = SteeringMask.Load(path);
        if (model is { } m) mask.Validate(m.Layers, m.Experts, m.TopK, path, denseLayers);
        return new SteeringRewrite(mask, mask.Scope, mask.Target);
    }

    private static float MoveToward(float value, float target, double strength) =>
        strength >= 1.0 ? target : (float)(value + strength * ((double)target - value));

    /// <summary>log_softmax in fp32 as PyTorch computes it: (z - max) - log(sum(exp(z - max))).</summary>
    public static void LogSoftmaxInPlace(Span<float> row)
    {
        float max = float.NegativeInfinity;
        foreach (float v in row) if (v > max) max = v;
        float sum = 0f;
        foreach (float v in row) sum += MathF.Exp(v - max);
        float logSum = MathF.Log(sum);
        for (int i = 0; i < row.Length; i++) row[i] = (row[i] - max) - logSum;
    }
}
