using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Detection.Ranking;
using SteerMoE.Research.Detection.Statistics;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Detection.Tests;

public class RankingTests
{
    // N1 = 100, N2 = 200. RD: (0,0) 0.1, (0,1) -0.3, (1,0) 0.3, (1,1) -0.1, (2,0) 0 with a zero cell.
    private static CountTable Table() => new(
    [
        new ExpertCounts(1, 1, 20, 80, 60, 140),
        new ExpertCounts(0, 0, 30, 70, 40, 160),
        new ExpertCounts(0, 1, 10, 90, 80, 120),
        new ExpertCounts(1, 0, 40, 60, 20, 180),
        new ExpertCounts(2, 0, 0, 100, 0, 200),
    ], "test counts");

    [Fact]
    public void RanksByMagnitudeWithTiesByLayerThenExpert()
    {
        var ranking = ExpertRanking.Rank(Table(), DetectionMetric.Get("rd"));
        var order = ranking.Experts.Select(s => (s.Counts.Layer, s.Counts.Expert)).ToArray();
        // |RD| 0.3 twice (layer 0 before layer 1), 0.1 twice, then 0.
        Assert.Equal([(0, 1), (1, 0), (0, 0), (1, 1), (2, 0)], order);
    }

    [Fact]
    public void NaNScoresRankLastAndInfinitiesFirst()
    {
        var ranking = ExpertRanking.Rank(Table(), DetectionMetric.Get("log-or-raw"));
        // (2,0) has a1 = a2 = 0: the raw odds ratio is 0/0 (NaN); no row here is infinite.
        Assert.Equal((2, 0), (ranking.Experts[^1].Counts.Layer, ranking.Experts[^1].Counts.Expert));
        Assert.True(double.IsNaN(ranking.Experts[^1].LogOddsRatioRaw));
        var withZero = new CountTable([new ExpertCounts(0, 0, 5, 95, 0, 200), new ExpertCounts(0, 1, 90, 10, 10, 190)]);
        var r2 = ExpertRanking.Rank(withZero, DetectionMetric.Get("log-or-raw"));
        Assert.Equal(double.PositiveInfinity, r2.Experts[0].LogOddsRatioRaw);
    }

    [Fact]
    public void CsvHasCountsThenStatisticsAndRoundTrips()
    {
        var dir = RepoPaths.TempDir("ranking");
        string path = Path.Combine(dir, "ranking.csv");
        var ranking = ExpertRanking.Rank(Table(), DetectionMetric.Get("log-or"));
        ranking.Save(path);
        var csv = CsvTable.Load(path);
        Assert.Equal(ExpertRanking.Columns, csv.Columns);
        Assert.Equal(CountTable.RequiredColumns, csv.Columns.Take(6));
        // The file reads back as the same count table, and every number round-trips exactly.
        var counts = CountTable.FromCsv(csv);
        Assert.Equal(Table().Rows, counts.Rows);
        for (int i = 0; i < ranking.Experts.Count; i++)
        {
            var s = ranking.Experts[i];
            Assert.Equal(s.LogOddsRatio, csv.Double(i, csv.ColumnIndex("log_odds_ratio")));
            Assert.Equal(s.RiskDifferenceLow, csv.Double(i, csv.ColumnIndex("risk_diff_lo")));
            Assert.Equal(s.FisherQ, csv.Double(i, csv.ColumnIndex("fisher_q")));
            Assert.Equal(i + 1, csv.Int64(i, csv.ColumnIndex("rank")));
        }
        Assert.Contains(csv.Rows, r => r[csv.ColumnIndex("log_odds_ratio_raw")] == "nan");
        Assert.Contains(csv.Rows, r => r[csv.ColumnIndex("log_relative_risk_hi")] == "inf");
        Assert.Equal([path], Directory.GetFiles(dir));   // no temporary file left
    }

    [Fact]
    public void QValuesAreBenjaminiHochbergOfTheFisherPValuesOverAllExperts()
    {
        var statistics = ExpertStatistics.Compute(Table());
        var q = FalseDiscoveryRate.BenjaminiHochberg(statistics.Select(s => s.FisherP).ToArray());
        Assert.Equal(q, statistics.Select(s => s.FisherQ));
        Assert.Equal(1.0, statistics.Single(s => s.Counts.Layer == 2).FisherP);
    }

    [Fact]
    public void UnknownMetricListsTheKnownIds()
    {
        var e = Assert.Throws<ArgumentException>(() => DetectionMetric.Get("odds"));
        Assert.Contains("'odds'", e.Message);
        Assert.Contains("rd, log-or, log-or-raw, log-rr, fisher, probe", e.Message);
        Assert.Throws<ArgumentException>(() => DetectionMetric.ParseList("rd,rd"));
        Assert.Throws<ArgumentException>(() => DetectionMetric.ParseList(" , "));
    }
}
