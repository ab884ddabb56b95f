using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>
/// FaithEval unanswerable: the answer-bearing sentence was removed from the context, so the faithful reply is
/// "unknown". The instruction follows FaithEval's own prompt (exact answer only; 'unknown' when the context has no answer).
/// </summary>
public sealed class FaithEvalUnanswerable : IBenchmark
{
    /// <inheritdoc />
    public BenchmarkInfo Info { get; } = new(
        "faitheval-unanswerable", BenchmarkGoal.Faithfulness, "Salesforce/FaithEval-unanswerable-v1.0", "test",
        "faitheval-unanswerable", ["context: string", "question: string"],
        "Retrieval-QA instruction: the exact answer only, and 'unknown' when the context does not contain it; `Context:`, `Question:`, `Answer:`.",
        "unknown");

    /// <summary>FaithEval's task line for this set, in short.</summary>
    public const string Instruction = "If the context does not contain the answer, answer 'unknown'.";

    /// <inheritdoc />
    public IReadOnlyList<GenerationPrompt> Load(string path) => BenchmarkPrompts.Rows(Info, path)
        .Select(row => BenchmarkPrompts.Create(Info, row, FaithEvalQuestion.Text(Instruction, row.String("context"), row.String("question"))))
        .ToList();
}
