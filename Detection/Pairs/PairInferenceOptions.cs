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

    /// <summary>Throws a clear error unless the settings can be run (callers check before any model work).</summary>
    public void Validate() => Check(Resamples, StabilityTop);

    /// <summary>Throws unless <paramref name="resamples"/> is 0 or at least 2 and <paramref name="stabilityTop"/> positive.</summary>
    public static void Check(int resamples, int stabilityTop)
    {
        if (resamples < 0 || resamples == 1) throw new ArgumentException($"--resamples: {resamples}; expected 0 (no resampling) or at least 2.");
        if (stabilityTop <= 0) throw new ArgumentException($"--stability-top: {stabilityTop} is not a positive number of experts.");
    }
}
