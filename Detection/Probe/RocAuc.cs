namespace SteerMoE.Research.Detection.Probe;

/// <summary>An AUC with its interval.</summary>
/// <param name="Auc">Area under the ROC curve: P(score of a side-1 example &gt; score of a side-2 example), ties counting 1/2.</param>
/// <param name="Low">Lower bound of the interval (clipped to [0, 1]).</param>
/// <param name="High">Upper bound of the interval (clipped to [0, 1]).</param>
/// <param name="StandardError">The clustered DeLong standard error.</param>
/// <param name="Pairs">Pairs (each one side-1 and one side-2 example).</param>
public sealed record AucEstimate(double Auc, double Low, double High, double StandardError, int Pairs);

/// <summary>
/// ROC AUC of paired scores (one side-1 and one side-2 score per pair) with DeLong's interval clustered by pair:
/// the two examples of a pair are not independent, so the variance is that of the per-pair sum of DeLong's
/// placement values (Obuchowski's clustered form), not DeLong's two-independent-samples sum. Exact, no resampling.
/// </summary>
public static class RocAuc
{
    /// <summary>z of a two-sided 95% normal interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// AUC of <paramref name="side1"/> against <paramref name="side2"/> (index = pair, both the same length ≥ 2) and
    /// AUC ± <paramref name="z"/>·SE with SE² = Σ_p (V10_p + V01_p − 2·AUC)² / (P (P − 1)), where V10_p is the share of
    /// side-2 scores below side-1 score p and V01_p the share of side-1 scores above side-2 score p (ties 1/2).
    /// </summary>
    public static AucEstimate Paired(IReadOnlyList<double> side1, IReadOnlyList<double> side2, double z = Z95)
    {
        int n = side1.Count;
        if (side2.Count != n) throw new ArgumentException($"paired AUC: {side1.Count} side-1 scores and {side2.Count} side-2 scores; expected one of each per pair.");
        if (n < 2) throw new ArgumentException($"paired AUC: {n} pair(s); the interval needs at least 2.");
        for (int i = 0; i < n; i++)
            if (double.IsNaN(side1[i]) || double.IsNaN(side2[i])) throw new ArgumentException($"paired AUC: pair {i} has a nan score.");
        var v10 = new double[n]; var v01 = new double[n];
        double total = 0;
        for (int p = 0; p < n; p++)
            for (int q = 0; q < n; q++)
            {
                double psi = side1[p] > side2[q] ? 1 : side1[p] == side2[q] ? 0.5 : 0;
                v10[p] += psi; v01[q] += psi; total += psi;
            }
        double auc = total / ((double)n * n);
        double sum = 0;
        for (int p = 0; p < n; p++) { double d = v10[p] / n + v01[p] / n - 2 * auc; sum += d * d; }
        double se = Math.Sqrt(sum / ((double)n * (n - 1)));
        return new AucEstimate(auc, Math.Max(0, auc - z * se), Math.Min(1, auc + z * se), se, n);
    }
}
