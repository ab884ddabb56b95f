using SteerMoE.Research.Evaluation.Benchmarks;
using SteerMoE.Research.Specs;

namespace SteerMoE.Research.Running;

/// <summary>A spec's benchmarks: the registry's loaders, with the spec's AIM template for the <c>aim-*</c> ones.</summary>
public static class BenchmarkCatalog
{
    /// <summary>The benchmark of an id, or an error naming the spec and the known ids.</summary>
    public static IBenchmark Get(string id, ExperimentSpec spec)
    {
        if (!BenchmarkRegistry.Ids.Contains(id))
            throw new FormatException($"{spec.Source}: benchmarks: unknown benchmark '{id}' (known: {string.Join(", ", BenchmarkRegistry.Ids)}).");
        return id.StartsWith("aim-", StringComparison.Ordinal) && spec.AimTemplate is { } template
            ? new AimJailbreak(BenchmarkRegistry.Get(id["aim-".Length..]), spec.ResolveData(template))
            : BenchmarkRegistry.Get(id);
    }

    /// <summary>Where an entry's local copy is: its path (relative to the data folder), else the benchmark's default path.</summary>
    public static string PathOf(BenchmarkEntry entry, ExperimentSpec spec) =>
        spec.ResolveData(entry.Path ?? Get(entry.Id, spec).Info.DefaultPath);
}
