namespace SteerMoE.Research.Steering.Plans;

/// <summary>
/// Where a plan came from and what was asked versus applied: the <c>provenance</c> object of PLAN.json
/// (docs/CONTRACTS.md §5.2). Counts are totals over all layers unless <see cref="CountScope"/> is
/// <c>per-layer</c>, where the requested counts are per layer.
/// </summary>
public sealed record PlanProvenance
{
    /// <summary>The ranking file the plan was selected from (as given).</summary>
    public string? Ranking { get; init; }
    /// <summary>Lower-case hex SHA-256 of the ranking file.</summary>
    public string? RankingSha256 { get; init; }
    /// <summary>The metric id or column name asked for (e.g. <c>rd</c>).</summary>
    public string? Metric { get; init; }
    /// <summary>The ranking column the scores were read from (e.g. <c>risk_diff</c>).</summary>
    public string? Column { get; init; }
    /// <summary>The selection strategy id (<see cref="SelectionStrategies"/>).</summary>
    public string? Strategy { get; init; }
    /// <summary><c>all-layers</c> (the authors' global counts) or <c>per-layer</c>.</summary>
    public string CountScope { get; init; } = "all-layers";
    /// <summary>Experts asked to activate (N).</summary>
    public int ActivateRequested { get; init; }
    /// <summary>Experts asked to deactivate (M).</summary>
    public int DeactivateRequested { get; init; }
    /// <summary>Experts the plan activates.</summary>
    public int ActivateApplied { get; init; }
    /// <summary>Experts the plan deactivates.</summary>
    public int DeactivateApplied { get; init; }
    /// <summary>Selected activations skipped because their layer already had <see cref="Cap"/> (not replaced).</summary>
    public int ActivateDroppedByCap { get; init; }
    /// <summary>The per-layer cap on activations (the model's k).</summary>
    public int Cap { get; init; }
    /// <summary>True when the score's sign was flipped (steering toward behaviour 2).</summary>
    public bool Reverse { get; init; }
    /// <summary>The context seed of a random control (null for deterministic strategies).</summary>
    public int? Seed { get; init; }
    /// <summary>The random stream name the control was drawn from (null for deterministic strategies).</summary>
    public string? RandomStream { get; init; }
    /// <summary>The q-value column of the significance filter, when used.</summary>
    public string? SignificanceColumn { get; init; }
    /// <summary>The level rows' q-values had to be below, when the filter was used.</summary>
    public double? SignificanceLevel { get; init; }
    /// <summary>The plan-level strength λ.</summary>
    public double Strength { get; init; } = 1.0;
}
