namespace SteerMoE.Research.Detection.Probe;

/// <summary>Settings of the probe detector (docs/CONTRACTS.md §6 `probe`).</summary>
public sealed record ProbeOptions
{
    /// <summary>Cross-validation folds (grouped by pair), at least 2 and at most the number of pairs.</summary>
    public int Folds { get; init; } = 5;
    /// <summary>ML.NET's L1 regularisation weight of the L-BFGS logistic regression (its loss is summed over examples).</summary>
    public float L1Regularization { get; init; } = 0.5f;
    /// <summary>ML.NET's L2 regularisation weight.</summary>
    public float L2Regularization { get; init; } = 1f;
    /// <summary>The context's random stream of the fold assignment.</summary>
    public string FoldStream { get; init; } = "detection/probe-folds";

    /// <summary>Throws a clear error unless the settings can be run.</summary>
    public void Validate()
    {
        if (Folds < 2) throw new ArgumentException($"--probe-folds: {Folds}; expected at least 2.");
        if (!(L1Regularization >= 0) || float.IsInfinity(L1Regularization)) throw new ArgumentException($"--probe-l1: {L1Regularization}; expected a finite number ≥ 0.");
        if (!(L2Regularization >= 0) || float.IsInfinity(L2Regularization)) throw new ArgumentException($"--probe-l2: {L2Regularization}; expected a finite number ≥ 0.");
    }
}
