namespace SteerMoE.Research.Detection.Pairs;

/// <summary>Settings of the pair-level columns of ranking.csv (docs/CONTRACTS.md §6): resamples and the N of top_n_stability.</summary>
public sealed record PairInferenceOptions
{
    /// <summary>Permutations of the permutation test and replicates of the cluster bootstrap (`--resamples`); 0 disables both.</summary>
    public int Resamples { get; init; } = 1000;
    /// <summary>The N of top_n_stability (`--stability-top`): share of bootstrap replicates with the expert in the top N by |RD|.</summary>
    public int StabilityTop { get; init; } = 20;
    /// <summary>The context's random stream of the permutation test.</summary>
    public string PermutationStream { get; init; } = "detection/permutation";
    /// <summary>The context's random stream of the cluster bootstrap.</summary>
    public string BootstrapStream { get; init; } = "detection/bootstrap";
}
