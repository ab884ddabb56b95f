namespace SteerMoE.Research.Evaluation;

/// <summary>A paired difference of two rates with its 95% interval.</summary>
/// <param name="Difference">Rate after − rate before, on the same prompts.</param>
/// <param name="Low">Lower bound.</param>
/// <param name="High">Upper bound.</param>
/// <param name="Total">Pairs compared.</param>
public readonly record struct PairedDifferenceInterval(double Difference, double Low, double High, int Total);

/// <summary>
/// The difference of two rates measured on the same prompts (steered − unsteered), with Newcombe's hybrid score
/// interval for paired proportions (Newcombe 1998, Statistics in Medicine 17:2635, method 10): Wilson intervals of the
/// two marginal rates combined through the φ correlation of the paired outcomes, φ's numerator shrunk by n/2 toward 0
/// when positive (his continuity adjustment). Unlike the Wald interval it stays inside [−1, 1] and does not collapse to
/// a point when no outcome changed.
/// </summary>
public static class PairedDifference
{
    /// <summary>The difference after − before of paired 0/1 outcomes and its interval; NaN bounds when there are no pairs.</summary>
    public static PairedDifferenceInterval Newcombe(IReadOnlyList<bool> before, IReadOnlyList<bool> after, double z = RateSummary.Z95)
    {
        if (before.Count != after.Count) throw new ArgumentException($"paired difference: {before.Count} outcomes before but {after.Count} after; expected the same prompts.");
        // 2 x 2 table: a = both 1, b = 1 after only, c = 1 before only, d = both 0.
        long a = 0, b = 0, c = 0, d = 0;
        for (int i = 0; i < before.Count; i++)
        {
            if (after[i] && before[i]) a++;
            else if (after[i]) b++;
            else if (before[i]) c++;
            else d++;
        }
        return FromTable(a, b, c, d, z);
    }

    /// <summary>
    /// The interval from the paired table: <paramref name="a"/> pairs scoring 1 on both, <paramref name="b"/> only after,
    /// <paramref name="c"/> only before, <paramref name="d"/> on neither; the difference is (b − c) / n.
    /// </summary>
    public static PairedDifferenceInterval FromTable(long a, long b, long c, long d, double z = RateSummary.Z95)
    {
        if (a < 0 || b < 0 || c < 0 || d < 0) throw new ArgumentException($"paired difference: counts ({a}, {b}, {c}, {d}) must be ≥ 0.");
        long n = a + b + c + d;
        if (n == 0) return new PairedDifferenceInterval(double.NaN, double.NaN, double.NaN, 0);
        double p1 = (double)(a + b) / n, p2 = (double)(a + c) / n;   // after, before
        var (l1, u1) = RateSummary.Wilson(a + b, n, z);
        var (l2, u2) = RateSummary.Wilson(a + c, n, z);
        // φ of the table with rows = after (1, 0) and columns = before (1, 0): cells a, b / c, d.
        double denominator = Math.Sqrt((double)(a + b) * (c + d) * (a + c) * (b + d));
        double numerator = (double)a * d - (double)b * c;
        if (numerator > 0) numerator = Math.Max(numerator - n / 2.0, 0);
        double phi = denominator == 0 ? 0 : numerator / denominator;
        double theta = p1 - p2;
        double delta = Math.Sqrt(Math.Max(0, Sq(p1 - l1) - 2 * phi * (p1 - l1) * (u2 - p2) + Sq(u2 - p2)));
        double epsilon = Math.Sqrt(Math.Max(0, Sq(u1 - p1) - 2 * phi * (u1 - p1) * (p2 - l2) + Sq(p2 - l2)));
        return new PairedDifferenceInterval(theta, Math.Max(-1, theta - delta), Math.Min(1, theta + epsilon), (int)n);
    }

    private static double Sq(double x) => x * x;
}
