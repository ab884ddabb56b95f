using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation;

/// <summary>What an evaluator's scores are: 0/1 outcomes summarised as a rate, or values summarised as a mean.</summary>
public enum EvaluatorKind
{
    /// <summary>Each output scores 1 (the behaviour is present) or 0; summarised as a rate with a Wilson interval, compared by McNemar's test.</summary>
    Rate,
    /// <summary>Each output scores a real value (e.g. perplexity); summarised as a mean.</summary>
    Mean,
}

/// <summary>
/// Scores one generated output. Evaluators are looked up by <see cref="Id"/> in an <see cref="EvaluatorRegistry"/>;
/// a rate evaluator returns 1 or 0, a mean evaluator a value; null means the output cannot be scored (e.g. empty).
/// </summary>
public interface IEvaluator
{
    /// <summary>The id used in specs and on the command line (e.g. <c>digits-rate</c>).</summary>
    string Id { get; }
    /// <summary>Rate or mean.</summary>
    EvaluatorKind Kind { get; }
    /// <summary>Scores one output; throws naming the prompt and field when the prompt lacks a field the evaluator needs.</summary>
    double? Score(GeneratedText output);
}
