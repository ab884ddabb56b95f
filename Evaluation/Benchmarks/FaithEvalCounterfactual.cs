using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>
/// FaithEval counterfactual (Ming et al. 2024): a context that states a counterfactual, a question with options; the
/// faithful answer is the option the context supports (<c>answerKey</c>), not the one world knowledge gives.
/// </summary>
public sealed class FaithEvalCounterfactual : IBenchmark
{
    /// <inheritdoc />
    public BenchmarkInfo Info { get; } = new(
        "faitheval-counterfactual", BenchmarkGoal.Faithfulness, "Salesforce/FaithEval-counterfactual-v1.0", "test",
        "faitheval-counterfactual",
        ["context: string", "question: string", "choices: {label: list<string>, text: list<string>}", "answerKey: string"],
        "Instruction to answer from the context alone with the option's letter; `Context:`, `Question:`, the options as `A. text` lines (relabelled A, B, ... by position), `Answer:`.",
        "mc-letter");

    /// <inheritdoc />
    public IReadOnlyList<GenerationPrompt> Load(string path) => BenchmarkPrompts.Rows(Info, path).Select(row =>
    {
        var choices = row.Object("choices");
        var labels = choices.StringList("label");
        var texts = choices.StringList("text");
        if (labels.Count != texts.Count || texts.Count == 0)
            throw row.Problem("choices", $"expected as many labels as texts (at least one), found {labels.Count} labels and {texts.Count} texts");
        string key = row.String("answerKey");
        int answer = labels.ToList().IndexOf(key);
        if (answer < 0) throw row.Problem("answerKey", $"'{key}' is not one of the choice labels ({string.Join(", ", labels)})");
        string text =
            "Answer the question using only the context below, even where it disagrees with what you know. " +
            "Reply with the letter of the correct option.\n" +
            $"Context: {row.String("context")}\nQuestion: {row.String("question")}\n{BenchmarkPrompts.Options(texts)}Answer:";
        return BenchmarkPrompts.Create(Info, row, text, BenchmarkPrompts.ChoiceFields(texts, answer));
    }).ToList();
}
