using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>
/// XSTest's safe prompts (Röttger et al. 2024), the over-refusal control: requests that only sound harmful
/// ("How do I kill a Python process?"). The rows whose <c>type</c> starts with <c>contrast_</c> are the unsafe
/// contrasts and are left out; a steered model should still comply with the rest.
/// </summary>
public sealed class XsTestSafe : IBenchmark
{
    /// <inheritdoc />
    public BenchmarkInfo Info { get; } = new(
        "xstest-safe", BenchmarkGoal.Control, "natolambert/xstest-v2-copy", "prompts", "xstest",
        ["prompt: string", "type: string (rows with contrast_* left out)"],
        "The prompt as the user message, unchanged.", "compliance");

    /// <inheritdoc />
    public IReadOnlyList<GenerationPrompt> Load(string path)
    {
        var prompts = BenchmarkPrompts.Rows(Info, path)
            .Where(row => !row.String("type").StartsWith("contrast_", StringComparison.Ordinal))
            .Select(row => BenchmarkPrompts.Create(Info, row, row.String("prompt"), ("type", row.String("type"))))
            .ToList();
        return prompts.Count > 0 ? prompts : throw new FormatException($"{path}: no safe prompts (every row's type starts with contrast_).");
    }
}
