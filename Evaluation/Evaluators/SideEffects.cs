using SteerMoE.Research.Inference;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Evaluation;

/// <summary>What steering does to text it is not meant to change.</summary>
/// <param name="Tokens">Token positions compared.</param>
/// <param name="MeanKl">Mean over positions of KL(P_unsteered || P_steered) of the next-token distributions, nats.</param>
/// <param name="MaxKl">Largest per-position KL.</param>
/// <param name="TopKChangedShare">Per layer: the share of positions whose set of routed experts (top-k) differs from the unsteered model's.</param>
public sealed record SideEffectReport(int Tokens, double MeanKl, double MaxKl, IReadOnlyList<double> TopKChangedShare);

/// <summary>
/// Measures side effects by running the same text teacher-forced twice, unsteered and steered: the KL divergence
/// of the next-token distributions, and per layer how often the routed experts changed.
/// </summary>
public static class SideEffects
{
    /// <summary>Compares the unsteered and steered passes over <paramref name="texts"/> (token ids, one sequence each).</summary>
    public static SideEffectReport Measure(IMoeEngine model, IReadOnlyList<int[]> texts, IRouterRewrite steering, Precision precision = Precision.Exact)
    {
        if (texts.Count == 0 || texts.Any(t => t.Length == 0)) throw new ArgumentException("side effects: need at least one non-empty text.");
        var plain = new TopKRecorder(model.Config.LayerCount);
        var steered = new TopKRecorder(model.Config.LayerCount);
        var a = model.Forward(texts, new ForwardOptions { Precision = precision, ReturnLogits = true, Observer = plain });
        var b = model.Forward(texts, new ForwardOptions { Precision = precision, ReturnLogits = true, Observer = steered, Rewrite = steering });
        int vocab = a.VocabSize, rows = a.Layout.Count;
        double sum = 0, max = 0;
        for (int r = 0; r < rows; r++)
        {
            double kl = Probabilities.KullbackLeibler(a.Logits.AsSpan(r * vocab, vocab), b.Logits.AsSpan(r * vocab, vocab));
            sum += kl; max = Math.Max(max, kl);
        }
        var changed = new double[model.Config.LayerCount];
        for (int l = 0; l < changed.Length; l++)
        {
            var x = plain.Sets[l]; var y = steered.Sets[l];
            int differ = 0;
            for (int r = 0; r < x.Count; r++) if (!x[r].SetEquals(y[r])) differ++;
            changed[l] = x.Count == 0 ? double.NaN : (double)differ / x.Count;
        }
        return new SideEffectReport(rows, sum / rows, max, changed);
    }

    /// <summary>Records the set of routed experts of every token row, per layer.</summary>
    private sealed class TopKRecorder(int layers) : IRoutingObserver
    {
        public readonly List<HashSet<int>>[] Sets = Enumerable.Range(0, layers).Select(_ => new List<HashSet<int>>()).ToArray();

        public void OnRouting(in RoutingBatch batch)
        {
            for (int t = 0; t < batch.TokenCount; t++)
                Sets[batch.Layer].Add([.. batch.TopKIndex.Slice(t * batch.TopK, batch.TopK)]);
        }
    }
}
