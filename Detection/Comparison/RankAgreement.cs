namespace SteerMoE.Research.Detection.Comparison;

/// <summary>
/// How two rankings of the same experts agree: rank correlations of their keys, the Jaccard overlap of
/// their top-N sets, and the N at which they part (the first N whose top-N sets differ; null when they
/// never do).
/// </summary>
public sealed record RankAgreement(double Spearman, double KendallTauB, IReadOnlyDictionary<int, double> TopNJaccard, int? PartingN)
{
    /// <summary>
    /// Compares two rankings of n items: <paramref name="keyA"/>/<paramref name="keyB"/> are the ranking keys
    /// (larger = better, no NaN) and <paramref name="orderA"/>/<paramref name="orderB"/> the item indices
    /// best first (the keys' order with its tie-break).
    /// </summary>
    public static RankAgreement Compare(IReadOnlyList<double> keyA, IReadOnlyList<double> keyB,
        IReadOnlyList<int> orderA, IReadOnlyList<int> orderB, IReadOnlyList<int> topN)
    {
        int n = keyA.Count;
        if (keyB.Count != n || orderA.Count != n || orderB.Count != n)
            throw new ArgumentException($"rank agreement: rankings of {keyA.Count}, {keyB.Count}, {orderA.Count}, {orderB.Count} items; expected the same.");
        foreach (int top in topN)
            if (top <= 0) throw new ArgumentException($"--top: {top} is not a positive number of experts.");
        var inA = new bool[n]; var inB = new bool[n];
        int intersection = 0, difference = 0;
        int? parting = null;
        var jaccard = new SortedDictionary<int, double>();
        for (int k = 0; k < n; k++)
        {
            int a = orderA[k], b = orderB[k];
            if (inB[a]) { intersection++; difference--; } else difference++;
            inA[a] = true;
            if (inA[b]) { intersection++; difference--; } else difference++;
            inB[b] = true;
            int size = k + 1;
            if (parting == null && difference != 0) parting = size;
            foreach (int top in topN)
                if (top == size) jaccard[top] = (double)intersection / (2 * size - intersection);
        }
        foreach (int top in topN) if (top > n) jaccard[top] = 1;   // both "top N" sets are all items
        return new RankAgreement(RankCorrelation.Spearman(keyA, keyB), RankCorrelation.KendallTauB(keyA, keyB), jaccard, parting);
    }
}
