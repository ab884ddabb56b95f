using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Detection.Probe;
using SteerMoE.Research.Detection.Statistics;

namespace SteerMoE.Research.Detection.Ranking;

/// <summary>
/// Every statistic of one (layer, expert) that ranking.csv holds (column names in docs/CONTRACTS.md §6).
/// Intervals are 95%. <see cref="ProbeWeight"/> is NaN (an empty cell) unless the probe was fitted.
/// </summary>
public sealed record ExpertStatistics(
    ExpertCounts Counts,
    double RiskDifference, double RiskDifferenceLow, double RiskDifferenceHigh,
    double LogOddsRatio, double LogOddsRatioLow, double LogOddsRatioHigh,
    double LogOddsRatioRaw,
    double LogRelativeRisk, double LogRelativeRiskLow, double LogRelativeRiskHigh,
    double FisherP, double FisherLog10P, double FisherQ,
    double ProbeWeight = double.NaN)
{
    /// <summary>
    /// <paramref name="statistics"/> (one per (layer, expert), layer then expert, as <see cref="Compute"/> gives them)
    /// with <see cref="ProbeWeight"/> set from <paramref name="probe"/>'s weights of the same layers × experts.
    /// </summary>
    public static IReadOnlyList<ExpertStatistics> WithProbe(IReadOnlyList<ExpertStatistics> statistics, ProbeResult probe)
    {
        if (statistics.Count > probe.Weights.Count)   // fewer rows: the dense layers of an interleaved model have none
            throw new ArgumentException($"probe: weights of {probe.Layers} layers × {probe.Experts} experts; the count table has {statistics.Count} (layer, expert) rows. Give the pair counts of the run that wrote the counts.");
        return statistics.Select(s =>
        {
            int layer = s.Counts.Layer, expert = s.Counts.Expert;
            if (layer >= probe.Layers || expert >= probe.Experts)
                throw new ArgumentException($"probe: layer {layer}, expert {expert} of the count table is outside the probe's {probe.Layers} layers × {probe.Experts} experts.");
            return s with { ProbeWeight = probe.Weights[layer * probe.Experts + expert] };
        }).ToArray();
    }

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
