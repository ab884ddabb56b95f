using SteerMoE.Research.Generation;
using SteerMoE.Research.Inference;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Evaluation;

/// <summary>
/// Fluency proxy: the perplexity of the generated tokens under the unsteered model, teacher-forced after the
/// prompt: exp(mean over output tokens of −log p(token | prompt, earlier output)). Null for an empty output.
/// </summary>
public sealed class FluencyEvaluator(IMoeEngine unsteered, Precision precision = Precision.Exact) : IEvaluator
{
    /// <summary>The registry id.</summary>
    public const string DefaultId = "fluency";
    /// <inheritdoc/>
    public string Id => DefaultId;
    /// <inheritdoc/>
    public EvaluatorKind Kind => EvaluatorKind.Mean;

    /// <inheritdoc/>
    public double? Score(GeneratedText output) => Perplexity(unsteered, output.PromptIds, output.OutputIds, precision);

    /// <summary>Perplexity of <paramref name="continuation"/> after <paramref name="prompt"/> (null when the continuation is empty).</summary>
    public static double? Perplexity(IMoeEngine model, IReadOnlyList<int> prompt, IReadOnlyList<int> continuation, Precision precision = Precision.Exact)
    {
        if (continuation.Count == 0) return null;
        var ids = prompt.Concat(continuation).ToArray();
        var result = model.Forward([ids], new ForwardOptions { Precision = precision, ReturnLogits = true });
        int vocab = result.VocabSize;
        var logits = result.Logits!;  // [T, V]
        double nll = 0;
        for (int i = 0; i < continuation.Count; i++)
        {
            int row = prompt.Count - 1 + i;   // the row that predicts continuation[i]
            nll -= Probabilities.LogSoftmaxAt(logits.AsSpan(row * vocab, vocab), continuation[i]);
        }
        return Math.Exp(nll / continuation.Count);
    }
}
