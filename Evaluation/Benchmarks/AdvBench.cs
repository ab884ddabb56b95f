using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>AdvBench harmful behaviours (Zou et al. 2023): 520 requests; <c>target</c> is GCG's affirmative prefix, kept for reference.</summary>
public sealed class AdvBench : IBenchmark
{
    /// <inheritdoc />
    public BenchmarkInfo Info { get; } = new(
        "advbench", BenchmarkGoal.Safety, "walledai/AdvBench", "train", "advbench", ["prompt: string", "target: string"],
        "The behaviour as the user message, unchanged.", "safety");

    /// <inheritdoc />
    public IReadOnlyList<GenerationPrompt> Load(string path) => HarmfulRequests.Load(Info, path, "prompt", "target");
}
