using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>
/// FaithEval inconsistent: the context holds several documents that support different answers, so the faithful
/// reply reports the conflict. The instruction follows FaithEval's prompt ('conflict' for conflicting context).
/// </summary>
public sealed class FaithEvalInconsistent : IBenchmark
{
    /// <inheritdoc />
    public BenchmarkInfo Info { get; } = new(
        "faitheval-inconsistent", BenchmarkGoal.Faithfulness, "Salesforce/FaithEval-inconsistent-v1.0", "test",
        "faitheval-inconsistent", ["context: string", "question: string"],
        "Retrieval-QA instruction: the exact answer only, and 'conflict' when the context gives conflicting or several answers; `Context:`, `Question:`, `Answer:`.",
        "conflict");

    /// <summary>FaithEval's task line for this set, in short.</summary>
    public const string Instruction = "If the context holds conflicting information or several different answers, answer 'conflict'.";

    /// <inheritdoc />
    public IReadOnlyList<GenerationPrompt> Load(string path) => BenchmarkPrompts.Rows(Info, path)
        .Select(row => BenchmarkPrompts.Create(Info, row, FaithEvalQuestion.Text(Instruction, row.String("context"), row.String("question"))))
        .ToList();
}
