using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>MaliciousInstruct (Huang et al. 2023): 100 instructions over ten malicious intents.</summary>
public sealed class MaliciousInstruct : IBenchmark
{
    /// <inheritdoc />
    public BenchmarkInfo Info { get; } = new(
        "maliciousinstruct", BenchmarkGoal.Safety, "walledai/MaliciousInstruct", "train", "maliciousinstruct", ["prompt: string"],
        "The instruction as the user message, unchanged.", "safety");

    /// <inheritdoc />
    public IReadOnlyList<GenerationPrompt> Load(string path) => HarmfulRequests.Load(Info, path);
}
