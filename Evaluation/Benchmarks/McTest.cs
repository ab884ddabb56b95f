using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>
/// MCTest MC500 (Richardson et al. 2013), the faithfulness control: a children's story, a question and four
/// options; steering for faithfulness should leave its accuracy unchanged.
/// </summary>
public sealed class McTest : IBenchmark
{
    private static readonly string[] Letters = ["A", "B", "C", "D"];

    /// <inheritdoc />
    public BenchmarkInfo Info { get; } = new(
        "mctest", BenchmarkGoal.Control, "sagnikrayc/mctest", "test (config mc500)",
        "mctest/mc500/test",
        ["story: string", "question: string", "answer_options: {A: string, B: string, C: string, D: string}", "answer: string (A-D)"],
        "Instruction to read the story and reply with the option's letter; `Story:`, `Question:`, the options as `A. text` lines, `Answer:`.",
        "mc-letter");

    /// <inheritdoc />
    public IReadOnlyList<GenerationPrompt> Load(string path) => BenchmarkPrompts.Rows(Info, path).Select(row =>
    {
        var options = row.Object("answer_options");
        var texts = Letters.Select(options.String).ToList();
        string answer = row.String("answer");
        int index = Array.IndexOf(Letters, answer);
        if (index < 0) throw row.Problem("answer", $"expected one of A, B, C, D, found '{answer}'");
        string text =
            "Read the story and answer the question. Reply with the letter of the correct option.\n" +
            $"Story: {row.String("story")}\nQuestion: {row.String("question")}\n{BenchmarkPrompts.Options(texts)}Answer:";
        return BenchmarkPrompts.Create(Info, row, text, BenchmarkPrompts.ChoiceFields(texts, index));
    }).ToList();
}
