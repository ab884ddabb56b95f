namespace SteerMoE.Research.Detection.Statistics;

/// <summary>
/// Score intervals for one proportion (Wilson) and for the difference of two independent proportions
/// (Newcombe's hybrid score interval, his method 10), as statsmodels' proportion_confint(method='wilson')
/// and confint_proportions_2indep(method='newcomb').
/// </summary>
public static class ProportionIntervals
{
    /// <summary>Wilson score interval of count/nobs (no continuity correction). NaN when nobs is 0.</summary>
    public static (double Low, double High) Wilson(long count, long nobs, double z = ContingencyMeasures.Z95)
    {
        // Same arrangement of the formula as statsmodels, so that the two agree to rounding.
        double n = nobs, q = count / n, z2 = z * z;
        double denominator = 1 + z2 / n;
        double center = (q + z2 / (2 * n)) / denominator;
        double half = z * Math.Sqrt(q * (1 - q) / n + z2 / (4 * n * n)) / denominator;
        return (center - half, center + half);
    }

    /// <summary>
    /// Newcombe's interval of p1 − p2 from the two Wilson intervals (l1, u1), (l2, u2):
    /// [d − sqrt((p1−l1)² + (u2−p2)²), d + sqrt((u1−p1)² + (p2−l2)²)].
    /// </summary>
    public static (double Low, double High) NewcombeDifference(long count1, long nobs1, long count2, long nobs2, double z = ContingencyMeasures.Z95)
    {
        double p1 = (double)count1 / nobs1, p2 = (double)count2 / nobs2, d = p1 - p2;
        var (l1, u1) = Wilson(count1, nobs1, z);
        var (l2, u2) = Wilson(count2, nobs2, z);
        return (d - Math.Sqrt((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2)),
                d + Math.Sqrt((p2 - l2) * (p2 - l2) + (u1 - p1) * (u1 - p1)));
    }
}
