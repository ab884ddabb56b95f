using System.CommandLine;
using SteerMoE.Research.Detection.Pairs;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>
/// `--seed`, `--resamples` and `--stability-top`: the pair-level inference flags that `detect` and `rank` share
/// (CONTRACTS §6), defined once so that both commands read them the same way.
/// </summary>
internal sealed class PairInferenceFlags
{
    /// <summary>The context seed of the permutation test and the bootstrap over pairs.</summary>
    public Option<int> Seed { get; } = new("--seed") { Description = "the context seed of the permutation test and the bootstrap over pairs", DefaultValueFactory = _ => 0 };
    /// <summary>Permutations and bootstrap replicates; 0 disables the pair-level columns.</summary>
    public Option<int> Resamples { get; } = new("--resamples") { Description = "permutations and bootstrap replicates over pairs for ranking.csv's pair-level columns; 0 disables", DefaultValueFactory = _ => 1000 };
    /// <summary>The N of top_n_stability.</summary>
    public Option<int> StabilityTop { get; } = new("--stability-top") { Description = "the N of top_n_stability (share of bootstrap replicates with the expert in the top N by |RD|)", DefaultValueFactory = _ => 20 };

    /// <summary>Adds the three options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Seed);
        command.Options.Add(Resamples);
        command.Options.Add(StabilityTop);
    }

    /// <summary>The parsed options.</summary>
    public PairInferenceOptions Options(ParseResult result) =>
        new() { Resamples = result.GetValue(Resamples), StabilityTop = result.GetValue(StabilityTop) };
}
