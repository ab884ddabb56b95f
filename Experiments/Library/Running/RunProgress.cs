namespace SteerMoE.Research.Running;

/// <summary>
/// A progress report of long experiment work (docs/CONTRACTS.md §13): <paramref name="Done"/> of
/// <paramref name="Total"/> <paramref name="Unit"/> in one stage. A stage that starts again (the next cell's
/// generation) reports <paramref name="Done"/> 0 first.
/// </summary>
/// <param name="Stage">One of the constants below.</param>
/// <param name="Done">Units done.</param>
/// <param name="Total">Units in the stage.</param>
/// <param name="Unit">"behaviours", "cells", "pairs" or "prompts".</param>
/// <param name="Detail">What runs (a cell key, "baseline"), or "" when the stage says it all.</param>
public readonly record struct RunProgress(string Stage, long Done, long Total, string Unit, string Detail = "")
{
    /// <summary>The demo's behaviours (one spec each).</summary>
    public const string Behaviours = "behaviours";
    /// <summary>The cells of an experiment run that were not done before it started.</summary>
    public const string Cells = "cells";
    /// <summary>Detection of the spec's pairs (the routing counts every cell's plan is ranked from).</summary>
    public const string Detection = "detection";
    /// <summary>Generation on the evaluation prompts, for the baseline or a cell.</summary>
    public const string Generation = "generation";
}
