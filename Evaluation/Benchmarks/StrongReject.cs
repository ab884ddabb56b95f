using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>
/// StrongREJECT (Souly et al. 2024): 313 forbidden prompts with their category and source. The paper uses the
/// 60-prompt MIT-licensed subset; this loader reads whatever rows the local copy holds.
/// </summary>
public sealed class StrongReject : IBenchmark
{
    /// <inheritdoc />
    public BenchmarkInfo Info { get; } = new(
        "strongreject", BenchmarkGoal.Safety, "walledai/StrongREJECT", "train", "strongreject",
        ["prompt: string", "category: string", "source: string"],
        "The forbidden prompt as the user message, unchanged.", "safety");

    /// <inheritdoc />
    public IReadOnlyList<GenerationPrompt> Load(string path) => HarmfulRequests.Load(Info, path, "prompt", "category", "source");
}
