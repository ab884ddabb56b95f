using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Detection.Statistics;

namespace SteerMoE.Research.Detection.Ranking;

/// <summary>
/// Every statistic of one (layer, expert) that ranking.csv holds (column names in docs/CONTRACTS.md §6).
/// Intervals are 95%.
/// </summary>
public sealed record ExpertStatistics(
    ExpertCounts Counts,
    double RiskDifference, double RiskDifferenceLow, double RiskDifferenceHigh,
    double LogOddsRatio, double LogOddsRatioLow, double LogOddsRatioHigh,
    double LogOddsRatioRaw,
    double LogRelativeRisk, double LogRelativeRiskLow, double LogRelativeRiskHigh,
    double FisherP, double FisherLog10P, double FisherQ)
{
    /// <summary>
    /// The statistics of every row of <paramref name="table"/>, in its order (layer, then expert);
    /// Benjamini-Hochberg q-values over all its experts.
    /// </summary>
    public static IReadOnlyList<ExpertStatistics> Compute(CountTable table)
    {
        var rows = table.Rows;
        var fisher = new FisherExactResult[rows.Count];
        Parallel.For(0, rows.Count, i => { var r = rows[i]; fisher[i] = FisherExactTest.TwoSided(r.A1, r.D1, r.A2, r.D2); });
        var q = FalseDiscoveryRate.BenjaminiHochberg(fisher.Select(f => f.P).ToArray());
        var result = new ExpertStatistics[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            var (rdLow, rdHigh) = ProportionIntervals.NewcombeDifference(r.A1, r.N1, r.A2, r.N2);
            var (orLow, orHigh) = ContingencyMeasures.LogOddsRatioHaldaneInterval(r.A1, r.D1, r.A2, r.D2);
            var (rrLow, rrHigh) = ContingencyMeasures.LogRelativeRiskInterval(r.A1, r.D1, r.A2, r.D2);
            result[i] = new ExpertStatistics(r,
                ContingencyMeasures.RiskDifference(r.A1, r.D1, r.A2, r.D2), rdLow, rdHigh,
                ContingencyMeasures.LogOddsRatioHaldane(r.A1, r.D1, r.A2, r.D2), orLow, orHigh,
                ContingencyMeasures.LogOddsRatioRaw(r.A1, r.D1, r.A2, r.D2),
                ContingencyMeasures.LogRelativeRisk(r.A1, r.D1, r.A2, r.D2), rrLow, rrHigh,
                fisher[i].P, fisher[i].Log10P, q[i]);
        }
        return result;
    }
}
