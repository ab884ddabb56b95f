using System.CommandLine;
using SteerMoE.Research.Detection.Probe;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>`--probe-folds`, `--probe-l1`, `--probe-l2`: the probe's settings (CONTRACTS §6 `probe`), shared by `rank` and `compare`.</summary>
internal sealed class ProbeFlags
{
    private static readonly ProbeOptions Defaults = new();

    /// <summary>Cross-validation folds, grouped by pair.</summary>
    public Option<int> Folds { get; } = new("--probe-folds") { Description = "probe: cross-validation folds, grouped by pair", DefaultValueFactory = _ => Defaults.Folds };
    /// <summary>L1 weight.</summary>
    public Option<float> L1 { get; } = new("--probe-l1") { Description = "probe: L1 regularisation weight of ML.NET's L-BFGS logistic regression", DefaultValueFactory = _ => Defaults.L1Regularization };
    /// <summary>L2 weight.</summary>
    public Option<float> L2 { get; } = new("--probe-l2") { Description = "probe: L2 regularisation weight", DefaultValueFactory = _ => Defaults.L2Regularization };

    /// <summary>Adds the three options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Folds);
        command.Options.Add(L1);
        command.Options.Add(L2);
    }

    /// <summary>The parsed options.</summary>
    public ProbeOptions Options(ParseResult result) =>
        new() { Folds = result.GetValue(Folds), L1Regularization = result.GetValue(L1), L2Regularization = result.GetValue(L2) };

    /// <summary>The line printed after a fit: the cross-validated AUC and its interval.</summary>
    public static string Describe(ProbeResult probe) =>
        FormattableString.Invariant($"probe: {probe.Fold.Count} pairs, {probe.Options.Folds} folds grouped by pair, cross-validated AUC {probe.CrossValidated.Auc:F4} (95% {probe.CrossValidated.Low:F4} to {probe.CrossValidated.High:F4}), {probe.Weights.Count(w => w != 0)} of {probe.Weights.Count} weights non-zero");
}
