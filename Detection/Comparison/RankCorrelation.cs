namespace SteerMoE.Research.Detection.Comparison;

/// <summary>
/// Rank correlations of two paired samples, as scipy.stats.spearmanr and kendalltau (variant b), with ties.
/// Values must not be NaN (the caller decides where NaN scores go).
/// </summary>
public static class RankCorrelation
{
    /// <summary>Average ranks (1-based; tied values share the mean of their positions), as scipy.stats.rankdata.</summary>
    public static double[] AverageRanks(IReadOnlyList<double> values)
    {
        int n = values.Count;
        var order = Enumerable.Range(0, n).ToArray();
        Array.Sort(order, (x, y) => values[x].CompareTo(values[y]));
        var ranks = new double[n];
        for (int start = 0; start < n;)
        {
            int end = start + 1;
            while (end < n && values[order[end]] == values[order[start]]) end++;
            double average = (start + 1 + end) / 2.0;   // mean of positions start+1 .. end
            for (int k = start; k < end; k++) ranks[order[k]] = average;
            start = end;
        }
        return ranks;
    }

    /// <summary>Spearman's rho: Pearson correlation of the average ranks. NaN when either sample is constant.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPaired(x, y);
        var rx = AverageRanks(x); var ry = AverageRanks(y);
        double mx = rx.Average(), my = ry.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < rx.Length; i++)
        {
            double dx = rx[i] - mx, dy = ry[i] - my;
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
        }
        return sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>
    /// Kendall's tau-b: (concordant − discordant) / sqrt((n0 − ties in x)·(n0 − ties in y)), n0 = n(n−1)/2,
    /// pairs tied in both samples counted in both tie totals. NaN when either sample is constant. O(n²).
    /// </summary>
    public static double KendallTauB(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPaired(x, y);
        int n = x.Count;
        long score = 0, tiesX = 0, tiesY = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                int sx = x[i].CompareTo(x[j]), sy = y[i].CompareTo(y[j]);
                if (sx == 0) tiesX++;
                if (sy == 0) tiesY++;
                score += Math.Sign(sx) * Math.Sign(sy);
            }
        long pairs = (long)n * (n - 1) / 2;
        return score / Math.Sqrt(pairs - tiesX) / Math.Sqrt(pairs - tiesY);
    }

    private static void CheckPaired(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"rank correlation: samples of {x.Count} and {y.Count} values; expected the same length.");
        for (int i = 0; i < x.Count; i++)
            if (double.IsNaN(x[i]) || double.IsNaN(y[i])) throw new ArgumentException($"rank correlation: value {i} is NaN.");
    }
}
