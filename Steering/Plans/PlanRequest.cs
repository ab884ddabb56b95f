using SteerMoE.Research.Inference.Routing;
namespace SteerMoE.Research.Steering.Plans;

/// <summary>How experts are chosen from a ranking.</summary>
public enum SelectionStrategy
{
    /// <summary>The authors' <c>steer_moe</c>: global order by |score| (ties by layer, expert), first N positive to
    /// activate (capped at k per layer, skipped not replaced), first M negative to deactivate.</summary>
    Authors,
    /// <summary>Within every layer: the first N positive and first M negative rows of that layer by |score|.</summary>
    PerLayer,
    /// <summary>The authors' selection restricted to rows whose q-value is below a level.</summary>
    Significant,
    /// <summary>Control: the last N positive and last M negative rows by |score| (same cap).</summary>
    Bottom,
    /// <summary>Control: as many experts as the authors' plan applies, drawn uniformly from the experts it does not name (same cap).</summary>
    Random,
}

/// <summary>Parsing and naming of <see cref="SelectionStrategy"/> ids (<c>authors</c>, <c>per-layer</c>, ...).</summary>
public static class SelectionStrategies
{
    private static readonly (SelectionStrategy Strategy, string Id)[] Ids =
    [
        (SelectionStrategy.Authors, "authors"), (SelectionStrategy.PerLayer, "per-layer"),
        (SelectionStrategy.Significant, "significant"), (SelectionStrategy.Bottom, "bottom"), (SelectionStrategy.Random, "random"),
    ];

    /// <summary>The command-line / PLAN.json id of a strategy.</summary>
    public static string Id(SelectionStrategy strategy) => Ids.First(x => x.Strategy == strategy).Id;

    /// <summary>Parses an id; the error lists the ids there are.</summary>
    public static SelectionStrategy Parse(string id) =>
        Ids.FirstOrDefault(x => x.Id == id) is { Id: not null } hit ? hit.Strategy
        : throw new ArgumentException($"--strategy: '{id}' is not a strategy; expected one of {string.Join(", ", Ids.Select(x => x.Id))}.");
}

/// <summary>
/// What to select: N experts to activate and M to deactivate toward behaviour 1 (toward behaviour 2 with
/// <see cref="Reverse"/>), the per-layer activation cap (the model's k), and the strategy's parameters.
/// </summary>
public sealed record PlanRequest(int Activate, int Deactivate, int Cap)
{
    /// <summary>The strategy (default: the authors').</summary>
    public SelectionStrategy Strategy { get; init; } = SelectionStrategy.Authors;
    /// <summary>Flip the sign of the score first (steer toward behaviour 2).</summary>
    public bool Reverse { get; init; }
    /// <summary>The metric id or column name, recorded in the provenance.</summary>
    public string Metric { get; init; } = "rd";
    /// <summary>Significance filter: keep rows whose q-value (the ranking's q column) is strictly below this level.</summary>
    public double SignificanceLevel { get; init; } = 0.05;
    /// <summary>The strength λ every selected expert gets.</summary>
    public double Strength { get; init; } = 1.0;
    /// <summary>The context seed, recorded for a random control.</summary>
    public int? Seed { get; init; }
    /// <summary>The random stream name, recorded for a random control.</summary>
    public string? RandomStream { get; init; }
    /// <summary>The plan's rewrite_target: which router score the rewrite replaces for routers that select on another
    /// score than the logits (DeepSeek, GLM-4.5, Llama 4; docs/CONTRACTS.md §3).</summary>
    public RewriteTarget Target { get; init; } = RewriteTarget.SelectionScore;

    /// <summary>Throws when a count or parameter is out of range.</summary>
    public void Check()
    {
        if (Activate < 0) throw new ArgumentException($"--activate: {Activate}: expected a count >= 0.");
        if (Deactivate < 0) throw new ArgumentException($"--deactivate: {Deactivate}: expected a count >= 0.");
        if (Cap < 1) throw new ArgumentException($"--cap: {Cap}: expected k >= 1 (the experts routed per token).");
        if (!(Strength >= 0 && Strength <= 1)) throw new ArgumentException($"--strength: {Strength}: expected a value in [0, 1].");
        if (!(SignificanceLevel > 0 && SignificanceLevel <= 1)) throw new ArgumentException($"--q-below: {SignificanceLevel}: expected a level in (0, 1].");
    }
}
