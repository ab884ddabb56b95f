using System.Text.RegularExpressions;
using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Scoring;

/// <summary>
/// <c>mc-letter</c> (FaithEval counterfactual, MCTest): which option the output picks. In order: (1) a label at the
/// start, alone or marked — <c>B</c>, <c>(B)</c>, <c>B.</c>, <c>B)</c>, <c>B:</c>, <c>**B**</c>, after an optional
/// <c>Answer:</c>, <c>The answer is</c> or <c>Option</c>; (2) else <c>answer is B</c> / <c>Answer: B</c> anywhere;
/// (3) else the one option whose text (answer-normalised, whole words) the output contains — none or several: no pick.
/// Scores 1 when the pick is <c>answer_label</c>, 0 otherwise (no pick included). Fields: <c>choices</c>,
/// <c>choice_labels</c> (JSON lists), <c>answer_label</c>.
/// </summary>
public sealed partial class MultipleChoiceScorer : IEvaluator
{
    /// <summary>The registry id.</summary>
    public const string DefaultId = "mc-letter";

    /// <inheritdoc/>
    public string Id => DefaultId;
    /// <inheritdoc/>
    public EvaluatorKind Kind => EvaluatorKind.Rate;

    /// <inheritdoc/>
    public double? Score(GeneratedText output)
    {
        var prompt = output.Prompt;
        var labels = PromptLists.Read(prompt, "choice_labels", Id);
        var choices = PromptLists.Read(prompt, "choices", Id);
        if (labels.Count != choices.Count)
            throw new FormatException($"{prompt.Id}: fields 'choices' and 'choice_labels': {choices.Count} options but {labels.Count} labels; expected one label an option.");
        string answer = prompt.Field("answer_label", Id);
        if (!labels.Contains(answer))
            throw new FormatException($"{prompt.Id}: field 'answer_label': '{answer}' is not one of the labels {string.Join(", ", labels)}.");
        return Pick(output.OutputText, labels, choices) == answer ? 1 : 0;
    }

    /// <summary>The label the text picks, or null (rules in the class summary).</summary>
    public static string? Pick(string text, IReadOnlyList<string> labels, IReadOnlyList<string> choices)
    {
        foreach (var rule in new[] { LeadingLabel(), StatedLabel() })
        {
            var m = rule.Match(text);
            if (m.Success)
            {
                string label = m.Groups["label"].Value;
                string? known = labels.FirstOrDefault(l => string.Equals(l, label, StringComparison.OrdinalIgnoreCase));
                if (known != null) return known;
            }
        }
        var contained = Enumerable.Range(0, choices.Count).Where(i => AnswerNormalization.Contains(text, choices[i])).ToArray();
        return contained.Length == 1 ? labels[contained[0]] : null;
    }

    // A label at the start: optional "Answer:" / "The answer is" / "Option", optional ( or **, one letter or digit,
    // then a mark or the end of a word that is not followed by more letters (so "A cat" is not label A... unless
    // followed by a mark): "B", "(B)", "B.", "B)", "B:", "**B**".
    [GeneratedRegex(@"^\s*(?:(?:the\s+)?(?:correct\s+)?(?:answer|option)(?:\s+is)?\s*[:\-]?\s*)?[\(\[\*]*(?<label>[A-Za-z0-9])(?:[\)\]\.\:\*,]|\s*$|\s*\n)", RegexOptions.IgnoreCase)]
    private static partial Regex LeadingLabel();

    // "answer is B", "Answer: (B)" anywhere.
    [GeneratedRegex(@"\banswer\s*(?:is|:)\s*[\(\[\*]*(?<label>[A-Za-z0-9])(?![A-Za-z0-9])", RegexOptions.IgnoreCase)]
    private static partial Regex StatedLabel();
}
