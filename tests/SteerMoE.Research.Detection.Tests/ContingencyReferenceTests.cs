using System.Text.Json;
using SteerMoE.Research.Detection.Statistics;
using static SteerMoE.Research.Detection.Tests.ReferenceVectors;

namespace SteerMoE.Research.Detection.Tests;

/// <summary>Every per-table statistic against scipy/statsmodels on tables with zeros and very large counts.</summary>
public class ContingencyReferenceTests
{
    public static IEnumerable<object[]> Tables() =>
        Root.GetProperty("tables").EnumerateArray().Select(t => new object[] { t.GetProperty("table").ToString() });

    private static (long A1, long D1, long A2, long D2, JsonElement Reference) Table(string key)
    {
        var t = Root.GetProperty("tables").EnumerateArray().Single(e => e.GetProperty("table").ToString() == key);
        var c = t.GetProperty("table").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        return (c[0], c[1], c[2], c[3], t);
    }

    [Fact]
    public void VectorsCoverZerosAndVeryLargeCounts()
    {
        var tables = Tables().Select(o => Table((string)o[0])).ToList();
        Assert.True(tables.Count >= 30);
        Assert.Contains(tables, t => t.A1 == 0 || t.D1 == 0 || t.A2 == 0 || t.D2 == 0);
        Assert.Contains(tables, t => t.A1 + t.D1 >= 1_000_000);
        Assert.Equal(3, tables.Count(t => t.Reference.TryGetProperty("fisher_p_mpmath", out _)));
    }

    [Theory]
    [MemberData(nameof(Tables))]
    public void PointMeasuresAndIntervalsMatchStatsmodels(string key)
    {
        var (a1, d1, a2, d2, r) = Table(key);
        Close(Number(r.GetProperty("risk_diff")), ContingencyMeasures.RiskDifference(a1, d1, a2, d2), $"{key} risk_diff");
        // Interval ends that are 0 in exact arithmetic (e.g. Wilson's lower end at count 0) get an absolute 1e-15.
        var w1 = ProportionIntervals.Wilson(a1, a1 + d1);
        var w2 = ProportionIntervals.Wilson(a2, a2 + d2);
        var rw1 = Numbers(r.GetProperty("wilson1")); var rw2 = Numbers(r.GetProperty("wilson2"));
        Close(rw1[0], w1.Low, $"{key} wilson1 low", absolute: 1e-15); Close(rw1[1], w1.High, $"{key} wilson1 high", absolute: 1e-15);
        Close(rw2[0], w2.Low, $"{key} wilson2 low", absolute: 1e-15); Close(rw2[1], w2.High, $"{key} wilson2 high", absolute: 1e-15);
        var nc = ProportionIntervals.NewcombeDifference(a1, a1 + d1, a2, a2 + d2);
        var rnc = Numbers(r.GetProperty("newcombe"));
        Close(rnc[0], nc.Low, $"{key} newcombe low", absolute: 1e-15); Close(rnc[1], nc.High, $"{key} newcombe high", absolute: 1e-15);

        Close(Number(r.GetProperty("log_odds_ratio")), ContingencyMeasures.LogOddsRatioHaldane(a1, d1, a2, d2), $"{key} log_odds_ratio", absolute: 1e-15);
        var or = ContingencyMeasures.LogOddsRatioHaldaneInterval(a1, d1, a2, d2);
        var ror = Numbers(r.GetProperty("log_odds_ratio_ci"));
        Close(ror[0], or.Low, $"{key} log_odds_ratio_lo"); Close(ror[1], or.High, $"{key} log_odds_ratio_hi");
        Close(Number(r.GetProperty("log_odds_ratio_raw")), ContingencyMeasures.LogOddsRatioRaw(a1, d1, a2, d2), $"{key} log_odds_ratio_raw");
        Close(Number(r.GetProperty("log_relative_risk")), ContingencyMeasures.LogRelativeRisk(a1, d1, a2, d2), $"{key} log_relative_risk");
        var rr = ContingencyMeasures.LogRelativeRiskInterval(a1, d1, a2, d2);
        if (r.TryGetProperty("log_relative_risk_ci", out var rrr))
        {
            Close(Number(rrr[0]), rr.Low, $"{key} log_relative_risk_lo"); Close(Number(rrr[1]), rr.High, $"{key} log_relative_risk_hi");
        }
        else Assert.Equal((double.NegativeInfinity, double.PositiveInfinity), rr);   // a zero activation count
    }

    [Theory]
    [MemberData(nameof(Tables))]
    public void FisherExactMatchesScipyAndExactIntegerArithmetic(string key)
    {
        var (a1, d1, a2, d2, r) = Table(key);
        var fisher = FisherExactTest.TwoSided(a1, d1, a2, d2);
        Close(Number(r.GetProperty("fisher_p")), fisher.P, $"{key} fisher_p (scipy)");
        if (r.TryGetProperty("fisher_log_p_exact", out var exact))
        {
            // The exact rational p-value (Python integers): tighter than scipy's own accuracy (~1e-10 on large tables).
            Close(Number(exact), fisher.LogP, $"{key} ln p (exact integers)", relative: 1e-11, absolute: 1e-12);
            Close(Math.Exp(Number(exact)), fisher.P, $"{key} p (exact integers)", relative: 1e-11);
        }
        if (r.TryGetProperty("fisher_p_mpmath", out var precise))
            Close(Number(precise), fisher.P, $"{key} p (40-digit mpmath)", relative: 1e-12);
    }
}
