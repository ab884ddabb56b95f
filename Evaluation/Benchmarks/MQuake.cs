using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Benchmarks;

/// <summary>
/// MQuAKE-CF-3k (Zhong et al. 2023): counterfactual edits of Wikidata facts and a multi-hop question whose answer
/// changes with them. As in the SteerMoE paper, the edited facts are given as the context sentence(s) and the model
/// answers the first of the case's questions; <c>answers</c> = <c>new_answer</c> and its aliases.
/// </summary>
public sealed class MQuake : IBenchmark
{
    /// <inheritdoc />
    public BenchmarkInfo Info { get; } = new(
        "mquake", BenchmarkGoal.Faithfulness, "github:princeton-nlp/MQuAKE (datasets/MQuAKE-CF-3k.json)", "all (CF-3k)",
        "mquake/MQuAKE-CF-3k.json",
        ["requested_rewrite: list<{prompt: string with {}, subject: string, target_new: {str: string}}>", "questions: list<string>", "new_answer: string", "new_answer_alias: list<string>"],
        "Instruction to answer from the new facts; `Facts:` each rewrite as `prompt` with `{}` → subject, then ` target_new.str.`; `Question:` questions[0]; `Answer:`.",
        "answer-match");

    /// <inheritdoc />
    public IReadOnlyList<GenerationPrompt> Load(string path) => BenchmarkPrompts.Rows(Info, path).Select(row =>
    {
        var facts = row.ObjectList("requested_rewrite").Select(rewrite =>
        {
            string template = rewrite.String("prompt");
            if (!template.Contains("{}")) throw rewrite.Problem("prompt", $"expected a '{{}}' for the subject, found '{template}'");
            return $"{template.Replace("{}", rewrite.String("subject"))} {rewrite.Object("target_new").String("str")}.";
        }).ToList();
        if (facts.Count == 0) throw row.Problem("requested_rewrite", "expected at least one rewrite, found an empty list");
        var questions = row.StringList("questions");
        if (questions.Count == 0) throw row.Problem("questions", "expected at least one question, found an empty list");
        var answers = new List<string> { row.String("new_answer") };
        answers.AddRange(row.StringList("new_answer_alias"));
        string text =
            "Answer the question using the facts below, which take precedence over what you know. Reply with the answer only.\n" +
            $"Facts: {string.Join(" ", facts)}\nQuestion: {questions[0]}\nAnswer:";
        return BenchmarkPrompts.Create(Info, row, text, ("answers", BenchmarkPrompts.JsonList(answers)));
    }).ToList();
}
