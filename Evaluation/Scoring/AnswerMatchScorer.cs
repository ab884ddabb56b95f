using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Scoring;

/// <summary>
/// <c>answer-match</c> (CF-TriviaQA, MQuAKE): 1 when the answer-normalised output contains, as whole words, the
/// normalised text of any entry of the prompt's <c>answers</c> (the counterfactual / new answer and its aliases).
/// </summary>
public sealed class AnswerMatchScorer : IEvaluator
{
    /// <summary>The registry id.</summary>
    public const string DefaultId = "answer-match";

    /// <inheritdoc/>
    public string Id => DefaultId;
    /// <inheritdoc/>
    public EvaluatorKind Kind => EvaluatorKind.Rate;

    /// <inheritdoc/>
    public double? Score(GeneratedText output) =>
        PromptLists.Read(output.Prompt, "answers", Id).Any(a => AnswerNormalization.Contains(output.OutputText, a)) ? 1 : 0;
}
