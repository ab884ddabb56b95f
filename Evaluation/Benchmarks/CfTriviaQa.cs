using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>
/// CF-TriviaQA (Köksal et al. 2023): TriviaQA questions with a generated counterfactual paragraph; the faithful
/// answer is the paragraph's (counterfactual) answer. Published as one JSONL file on GitHub, not on Hugging Face.
/// </summary>
public sealed class CfTriviaQa : IBenchmark
{
    /// <inheritdoc />
    public BenchmarkInfo Info { get; } = new(
        "cf-triviaqa", BenchmarkGoal.Faithfulness, "github:google-research-datasets/cf_triviaqa", "all (one file)",
        "cf-triviaqa/har_dataset.jsonl",
        ["question_text: string", "paragraph_text: string", "annotation: {answer: list<{paragraph_reference: {string: string}}>}"],
        "Instruction to answer from the document even where it contradicts what the model knows, answer only; `Document:`, `Question:`, `Answer:`. `answers` = every annotation.answer[].paragraph_reference.string.",
        "answer-match");

    /// <inheritdoc />
    public IReadOnlyList<GenerationPrompt> Load(string path) => BenchmarkPrompts.Rows(Info, path).Select(row =>
    {
        var answers = row.Object("annotation").ObjectList("answer").Select(a => a.Object("paragraph_reference").String("string")).ToList();
        if (answers.Count == 0) throw row.Problem("annotation.answer", "expected at least one answer, found an empty list");
        string text =
            "Answer the question based on the document below, even if it contradicts what you know. Reply with the answer only.\n" +
            $"Document: {row.String("paragraph_text")}\nQuestion: {row.String("question_text")}\nAnswer:";
        return BenchmarkPrompts.Create(Info, row, text, ("answers", BenchmarkPrompts.JsonList(answers)));
    }).ToList();
}
