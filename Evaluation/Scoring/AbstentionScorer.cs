using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Scoring;

/// <summary>
/// Phrase scorers for FaithEval's open tasks: <c>unknown</c> (unanswerable: 1 when the output abstains) and
/// <c>conflict</c> (inconsistent: 1 when it reports that the context conflicts). A phrase matches as whole words of the
/// answer-normalised output (so "Unknown.", "UNKNOWN" and "the answer is unknown" all match <c>unknown</c>).
/// </summary>
public sealed class AbstentionScorer : IEvaluator
{
    /// <summary>The id of the unanswerable scorer.</summary>
    public const string UnknownId = "unknown";
    /// <summary>The id of the conflicting-context scorer.</summary>
    public const string ConflictId = "conflict";

    /// <summary>What counts as abstaining: FaithEval's requested word and the usual ways of saying it.</summary>
    public static readonly IReadOnlyList<string> UnknownPhrases =
    [
        "unknown", "unanswerable", "cannot be answered", "can not be answered", "can't be answered", "not answerable",
        "no answer", "no information", "not enough information", "insufficient information", "not mentioned",
        "not stated", "not specified", "not provided", "does not say", "doesn't say", "does not mention", "doesn't mention",
        "i don't know", "i do not know", "unclear",
    ];

    /// <summary>What counts as reporting a conflict: FaithEval's requested word and its usual variants.</summary>
    public static readonly IReadOnlyList<string> ConflictPhrases =
    [
        "conflict", "conflicting", "conflicts", "contradictory", "contradiction", "contradicts", "contradict",
        "inconsistent", "inconsistency", "multiple answers", "several answers", "more than one answer",
    ];

    private AbstentionScorer(string id, IReadOnlyList<string> phrases) { Id = id; Phrases = phrases; }

    /// <summary>The <c>unknown</c> scorer.</summary>
    public static AbstentionScorer Unknown() => new(UnknownId, UnknownPhrases);
    /// <summary>The <c>conflict</c> scorer.</summary>
    public static AbstentionScorer Conflict() => new(ConflictId, ConflictPhrases);

    /// <summary>The phrases looked for.</summary>
    public IReadOnlyList<string> Phrases { get; }
    /// <inheritdoc/>
    public string Id { get; }
    /// <inheritdoc/>
    public EvaluatorKind Kind => EvaluatorKind.Rate;

    /// <inheritdoc/>
    public double? Score(GeneratedText output) => Phrases.Any(p => AnswerNormalization.Contains(output.OutputText, p)) ? 1 : 0;
}
