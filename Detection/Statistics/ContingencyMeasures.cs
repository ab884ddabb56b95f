namespace SteerMoE.Research.Detection.Statistics;

/// <summary>
/// Point measures and Wald-type intervals of one expert's 2x2 table (side 1: a1 activated, d1 not; side 2:
/// a2, d2). docs/CONTRACTS.md §6 fixes their metric ids and column names. Each is checked against
/// statsmodels (tools/reference/stats).
/// </summary>
public static class ContingencyMeasures
{
    /// <summary>The two-sided 95% normal quantile, scipy's norm.isf(0.025).</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>Risk difference a1/(a1+d1) − a2/(a2+d2): the paper's score (metric `rd`, column `risk_diff`). NaN when a side has no tokens.</summary>
    public static double RiskDifference(long a1, long d1, long a2, long d2) =>
        (double)a1 / (a1 + d1) - (double)a2 / (a2 + d2);

    /// <summary>
    /// Log odds ratio with 0.5 added to every cell (Haldane-Anscombe), as the authors' released
    /// `log_odds_ratio` column: log(((a1+.5)/(d1+.5)) / ((a2+.5)/(d2+.5))) (metric `log-or`).
    /// </summary>
    public static double LogOddsRatioHaldane(long a1, long d1, long a2, long d2) =>
        Math.Log((a1 + 0.5) / (d1 + 0.5)) - Math.Log((a2 + 0.5) / (d2 + 0.5));

    /// <summary>
    /// Woolf interval of the Haldane-corrected log odds ratio: estimate ± z·sqrt(Σ 1/(cell+0.5))
    /// (statsmodels Table2x2 on the table plus 0.5, log_oddsratio_confint).
    /// </summary>
    public static (double Low, double High) LogOddsRatioHaldaneInterval(long a1, long d1, long a2, long d2, double z = Z95)
    {
        double estimate = LogOddsRatioHaldane(a1, d1, a2, d2);
        double se = Math.Sqrt(1 / (a1 + 0.5) + 1 / (d1 + 0.5) + 1 / (a2 + 0.5) + 1 / (d2 + 0.5));
        return (estimate - z * se, estimate + z * se);
    }

    /// <summary>
    /// Uncorrected log odds ratio log(a1·d2 / (d1·a2)) (metric `log-or-raw`): +inf when only the denominator
    /// has a zero cell, −inf when only the numerator has one, NaN when both have (statsmodels'
    /// log(oddsratio) with shift_zeros=False).
    /// </summary>
    public static double LogOddsRatioRaw(long a1, long d1, long a2, long d2) =>
        LogRatioOfProducts(a1, d2, d1, a2);

    /// <summary>
    /// Log relative risk log((a1/n1) / (a2/n2)) (metric `log-rr`), uncorrected: +inf when a2 = 0 &lt; a1,
    /// −inf when a1 = 0 &lt; a2, NaN when both are 0.
    /// </summary>
    public static double LogRelativeRisk(long a1, long d1, long a2, long d2) =>
        LogRatioOfProducts(a1, a2 + d2, a2, a1 + d1);

    /// <summary>
    /// Katz interval of the log relative risk: estimate ± z·sqrt(1/a1 − 1/n1 + 1/a2 − 1/n2) (statsmodels
    /// Table2x2.riskratio_confint, logged). (−inf, +inf) when a1 or a2 is 0 (the standard error is infinite).
    /// </summary>
    public static (double Low, double High) LogRelativeRiskInterval(long a1, long d1, long a2, long d2, double z = Z95)
    {
        if (a1 == 0 || a2 == 0) return (double.NegativeInfinity, double.PositiveInfinity);
        double estimate = LogRelativeRisk(a1, d1, a2, d2);
        double se = Math.Sqrt(1.0 / a1 - 1.0 / (a1 + d1) + 1.0 / a2 - 1.0 / (a2 + d2));
        return (estimate - z * se, estimate + z * se);
    }

    // log((x·y)/(u·v)) for non-negative integers, without overflow, with the inf/NaN rules of a ratio of products.
    private static double LogRatioOfProducts(long x, long y, long u, long v)
    {
        bool numeratorZero = x == 0 || y == 0, denominatorZero = u == 0 || v == 0;
        if (numeratorZero && denominatorZero) return double.NaN;
        if (numeratorZero) return double.NegativeInfinity;
        if (denominatorZero) return double.PositiveInfinity;
        // One quotient of the exact products (each rounded once): equal products give exactly 0.
        return Math.Log((double)((Int128)x * y) / (double)((Int128)u * v));
    }
}
