namespace SteerMoE.Research.Detection.Statistics;

/// <summary>Multiple-testing control over all experts of a table.</summary>
public static class FalseDiscoveryRate
{
    /// <summary>
    /// Benjamini-Hochberg q-values (statsmodels multipletests(method='fdr_bh')[1]): sort p ascending,
    /// q(i) = min over j ≥ i of p(j)·m/j, capped at 1, returned in the input order. NaN p-values are not allowed.
    /// </summary>
    public static double[] BenjaminiHochberg(IReadOnlyList<double> pValues)
    {
        int m = pValues.Count;
        var order = new int[m];
        for (int i = 0; i < m; i++)
        {
            if (double.IsNaN(pValues[i]) || pValues[i] < 0 || pValues[i] > 1)
                throw new ArgumentException($"p-value {i} is {pValues[i]}: expected a number in [0, 1].");
            order[i] = i;
        }
        // Stable sort (ties keep input order, as numpy's argsort result does not matter for equal values).
        Array.Sort(order, (x, y) => { int c = pValues[x].CompareTo(pValues[y]); return c != 0 ? c : x.CompareTo(y); });
        var q = new double[m];
        double running = double.PositiveInfinity;
        for (int rank = m; rank >= 1; rank--)
        {
            int i = order[rank - 1];
            running = Math.Min(running, pValues[i] / ((double)rank / m));
            q[i] = Math.Min(running, 1.0);
        }
        return q;
    }
}
