using System.Globalization;
using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Detection.Pairs;
using SteerMoE.Research.Detection.Probe;

namespace SteerMoE.Research.Detection.Ranking;

/// <summary>
/// The experts of a count table ordered by one metric's magnitude, descending, ties broken by layer then
/// expert (NaN scores last); written as ranking.csv (docs/CONTRACTS.md §5.4, §6).
/// </summary>
public sealed class ExpertRanking
{
    /// <summary>
    /// ranking.csv's columns: the counts columns, then the statistics of the count table, then the pair-level ones
    /// (<see cref="PairLevelStatistics.Columns"/>, empty unless given), then the probe's weight (empty unless the probe
    /// was fitted), then the 1-based rank.
    /// </summary>
    public static readonly string[] Columns =
    [
        .. CountTable.RequiredColumns,
        "risk_diff", "risk_diff_lo", "risk_diff_hi",
        "log_odds_ratio", "log_odds_ratio_lo", "log_odds_ratio_hi", "log_odds_ratio_raw",
        "log_relative_risk", "log_relative_risk_lo", "log_relative_risk_hi",
        "fisher_p", "fisher_log10_p", "fisher_q",
        .. PairLevelStatistics.Columns, "probe_weight", "rank",
    ];

    private ExpertRanking(DetectionMetric metric, IReadOnlyList<ExpertStatistics> ordered, string source, PairLevelStatistics? pairLevel = null, ProbeResult? probe = null)
    {
        Metric = metric; Experts = ordered; Source = source; PairLevel = pairLevel; Probe = probe;
    }

    /// <summary>The probe whose weights fill probe_weight, or null (then empty in ranking.csv).</summary>
    public ProbeResult? Probe { get; }

    /// <summary>The pair-level columns, or null (then empty in ranking.csv).</summary>
    public PairLevelStatistics? PairLevel { get; }

    /// <summary>The same ranking with the pair-level columns filled from <paramref name="pairLevel"/> (same layers × experts,
    /// less the layers the ranking has no rows for: an interleaved model's dense layers).</summary>
    public ExpertRanking WithPairLevel(PairLevelStatistics pairLevel)
    {
        var last = Experts.Max(s => (s.Counts.Layer, s.Counts.Expert));
        // A dense layer has no rows, so whole layers may be missing; every layer that has rows has all the experts.
        if (last.Layer >= pairLevel.Layers || Experts.GroupBy(s => s.Counts.Layer).Any(g => g.Count() != pairLevel.Experts || g.Any(s => s.Counts.Expert >= pairLevel.Experts)))
            throw new ArgumentException($"{Source}: {Experts.Count} experts; the pair-level statistics are of {pairLevel.Layers} layers × {pairLevel.Experts} experts.");
        return new ExpertRanking(Metric, Experts, Source, pairLevel, Probe);
    }

    /// <summary>The metric the experts are ordered by.</summary>
    public DetectionMetric Metric { get; }
    /// <summary>Experts, best first.</summary>
    public IReadOnlyList<ExpertStatistics> Experts { get; }
    /// <summary>The count table's source.</summary>
    public string Source { get; }

    /// <summary>Ranks already computed statistics by <paramref name="metric"/>.</summary>
    public static ExpertRanking Rank(IReadOnlyList<ExpertStatistics> statistics, DetectionMetric metric, string source = "count table") =>
        Rank(statistics, metric, source, null);

    private static ExpertRanking Rank(IReadOnlyList<ExpertStatistics> statistics, DetectionMetric metric, string source, ProbeResult? probe)
    {
        if (metric.NeedsPairCounts && statistics.Any(s => double.IsNaN(metric.Score(s)))) throw metric.MissingPairCounts();
        return new(metric, Order(statistics.Select(metric.Magnitude).ToArray()).Select(i => statistics[i]).ToArray(), source, null, probe);
    }

    /// <summary>Computes every statistic of <paramref name="table"/> and ranks by <paramref name="metric"/>.</summary>
    public static ExpertRanking Rank(CountTable table, DetectionMetric metric) => Rank(table, metric, null);

    /// <summary>
    /// As <see cref="Rank(CountTable, DetectionMetric)"/>, with probe_weight from <paramref name="probe"/> (fitted on the
    /// per-pair counts of the same run); <c>probe</c> as the metric needs it.
    /// </summary>
    public static ExpertRanking Rank(CountTable table, DetectionMetric metric, ProbeResult? probe)
    {
        var statistics = ExpertStatistics.Compute(table);
        return Rank(probe is null ? statistics : ExpertStatistics.WithProbe(statistics, probe), metric, table.Source, probe);
    }

    /// <summary>
    /// Indices of <paramref name="keys"/> by key descending, ties by index: for items sorted by layer, then
    /// expert (as CountTable rows and [L*E] vectors are), ties by layer, then expert.
    /// </summary>
    public static int[] Order(IReadOnlyList<double> keys)
    {
        var order = Enumerable.Range(0, keys.Count).ToArray();
        Array.Sort(order, (x, y) => { int c = keys[y].CompareTo(keys[x]); return c != 0 ? c : x.CompareTo(y); });
        return order;
    }

    /// <summary>The ranking as a CSV table (numbers round-trip; inf, -inf, nan spelled out).</summary>
    public CsvTable ToCsv()
    {
        var rows = new List<string[]>(Experts.Count);
        for (int i = 0; i < Experts.Count; i++)
        {
            var s = Experts[i]; var c = s.Counts;
            rows.Add(
            [
                I(c.Layer), I(c.Expert), I(c.A1), I(c.D1), I(c.A2), I(c.D2),
                F(s.RiskDifference), F(s.RiskDifferenceLow), F(s.RiskDifferenceHigh),
                F(s.LogOddsRatio), F(s.LogOddsRatioLow), F(s.LogOddsRatioHigh), F(s.LogOddsRatioRaw),
                F(s.LogRelativeRisk), F(s.LogRelativeRiskLow), F(s.LogRelativeRiskHigh),
                F(s.FisherP), F(s.FisherLog10P), F(s.FisherQ),
                .. PairLevel?.Cells(c.Layer, c.Expert) ?? Empty, double.IsNaN(s.ProbeWeight) ? "" : F(s.ProbeWeight), I(i + 1),
            ]);
        }
        return new CsvTable(Columns, rows, Source);
    }

    /// <summary>Writes ranking.csv atomically.</summary>
    public void Save(string path) => ToCsv().Save(path);

    private static readonly string[] Empty = PairLevelStatistics.Columns.Select(_ => "").ToArray();

    private static string I(long v) => v.ToString(CultureInfo.InvariantCulture);
    private static string F(double v) => CsvTable.Format(v);
}
