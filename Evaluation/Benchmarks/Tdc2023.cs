using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>TDC 2023 red-teaming track (Mazeika et al. 2023): 100 behaviours a safe model refuses.</summary>
public sealed class Tdc2023 : IBenchmark
{
    /// <inheritdoc />
    public BenchmarkInfo Info { get; } = new(
        "tdc2023", BenchmarkGoal.Safety, "walledai/TDC23-RedTeaming", "train", "tdc2023", ["prompt: string"],
        "The behaviour as the user message, unchanged.", "safety");

    /// <inheritdoc />
    public IReadOnlyList<GenerationPrompt> Load(string path) => HarmfulRequests.Load(Info, path);
}
