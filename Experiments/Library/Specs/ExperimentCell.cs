using System.Globalization;

namespace SteerMoE.Research.Specs;

/// <summary>
/// One cell of an experiment: a selection metric and strategy, the numbers of experts to activate and
/// deactivate, the direction, the strength and the seed. Strategy "baseline" is the unsteered model.
/// </summary>
public sealed record ExperimentCell(string Metric, string Strategy, int Activate, int Deactivate, bool Reverse, double Strength, int Seed)
{
    /// <summary>The unsteered strategy id.</summary>
    public const string Baseline = "baseline";

    /// <summary>Stable identity of the cell in the registry, e.g. "metric=rd/strategy=authors/activate=4/deactivate=0/reverse=false/strength=1/seed=0".</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture,
        $"metric={Metric}/strategy={Strategy}/activate={Activate}/deactivate={Deactivate}/reverse={(Reverse ? "true" : "false")}/strength={Strength:R}/seed={Seed}");

    /// <summary>True for the unsteered cell.</summary>
    public bool IsBaseline => Strategy == Baseline;

    /// <summary>
    /// Every cell of a spec, in a fixed order: per seed one baseline cell, then metric x strategy x activate x
    /// deactivate x reverse x strength of every grid (combinations that steer nothing are the baseline and are not repeated).
    /// </summary>
    public static IReadOnlyList<ExperimentCell> Enumerate(ExperimentSpec spec)
    {
        if (spec.Grids.FirstOrDefault(g => g.PaperGoal != null) is { } paper)
            throw new InvalidOperationException($"{spec.Source}: grid.paper: {paper.PaperGoal}: the paper's counts are resolved from the model (ExperimentSpec.WithPaperCounts) before the cells are listed.");
        var cells = new List<ExperimentCell>();
        foreach (int seed in spec.Seeds)
        {
            cells.Add(new ExperimentCell("none", Baseline, 0, 0, false, 1.0, seed));
            foreach (string metric in spec.Metrics)
            foreach (string strategy in spec.Strategies)
            foreach (var grid in spec.Grids)
            foreach (int a in grid.Activate)
            foreach (int d in grid.Deactivate)
            foreach (bool reverse in grid.Reverse)
            foreach (double strength in grid.Strength)
            {
                if (a == 0 && d == 0) continue;
                cells.Add(new ExperimentCell(metric, strategy, a, d, reverse, strength, seed));
            }
        }
        return cells.DistinctBy(c => c.Key).ToArray();
    }
}
