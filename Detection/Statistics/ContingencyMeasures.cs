namespace SteerMoE.Research.Detection.Statistics;

/// <summary>
/// Point measures of one expert's 2x2 table (side 1: a1 activated, d1 not; side 2: a2, d2).
/// docs/CONTRACTS.md §6 fixes their metric ids and column names.
/// </summary>
public static class ContingencyMeasures
{
    /// <summary>Risk difference a1/(a1+d1) − a2/(a2+d2): the paper's score (metric `rd`, column `risk_diff`). NaN when a side has no tokens.</summary>
    public static double RiskDifference(long a1, long d1, long a2, long d2) =>
        (double)a1 / (a1 + d1) - (double)a2 / (a2 + d2);

    /// <summary>
    /// Log odds ratio with 0.5 added to every cell (Haldane-Anscombe), as the authors' released
    /// `log_odds_ratio` column: log(((a1+.5)/(d1+.5)) / ((a2+.5)/(d2+.5))) (metric `log-or`).
    /// </summary>
    public static double LogOddsRatioHaldane(long a1, long d1, long a2, long d2) =>
        Math.Log((a1 + 0.5) / (d1 + 0.5)) - Math.Log((a2 + 0.5) / (d2 + 0.5));
}
