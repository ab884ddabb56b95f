namespace SteerMoE.Research.Evaluation;

/// <summary>Softmax arithmetic on logits rows, in double precision.</summary>
public static class Probabilities
{
    /// <summary>log softmax(logits)[index].</summary>
    public static double LogSoftmaxAt(ReadOnlySpan<float> logits, int index) => logits[index] - LogSumExp(logits);

    /// <summary>log Σ exp(logits), shifted by the maximum.</summary>
    public static double LogSumExp(ReadOnlySpan<float> logits)
    {
        double max = double.NegativeInfinity;
        foreach (float v in logits) max = Math.Max(max, v);
        double sum = 0;
        foreach (float v in logits) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }

    /// <summary>softmax(logits) [V].</summary>
    public static double[] Softmax(ReadOnlySpan<float> logits)
    {
        double lse = LogSumExp(logits);
        var p = new double[logits.Length];
        for (int i = 0; i < p.Length; i++) p[i] = Math.Exp(logits[i] - lse);
        return p;
    }

    /// <summary>KL(P || Q) = Σ p (log p − log q) of the distributions softmax(<paramref name="p"/>) and softmax(<paramref name="q"/>), in nats.</summary>
    public static double KullbackLeibler(ReadOnlySpan<float> p, ReadOnlySpan<float> q)
    {
        double lp = LogSumExp(p), lq = LogSumExp(q), kl = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double logP = p[i] - lp;
            kl += Math.Exp(logP) * (logP - (q[i] - lq));
        }
        return Math.Max(0, kl);
    }
}
