using SteerMoE.Research.Generation;

namespace SteerMoE.Research.Evaluation.Judges;

/// <summary>
/// An evaluator that scores many outputs in one call (a generative judge runs batched greedy generation).
/// Callers with a list of outputs use <see cref="ScoreAll"/>; <see cref="IEvaluator.Score"/> scores one.
/// </summary>
public interface IBatchEvaluator : IEvaluator
{
    /// <summary>Scores every output, in order; null where an output cannot be scored.</summary>
    IReadOnlyList<double?> ScoreAll(IReadOnlyList<GeneratedText> outputs);
}
