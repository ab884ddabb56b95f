using System.Globalization;
using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Detection.Probe;
using SteerMoE.Research.Detection.Ranking;

namespace SteerMoE.Research.Detection.Comparison;

/// <summary>One row of the agreement table: two metrics and how their rankings agree.</summary>
public sealed record MetricPairAgreement(DetectionMetric A, DetectionMetric B, RankAgreement Agreement);

/// <summary>
/// The agreement table of `steermoe compare`: for every pair of the chosen metrics, Spearman and Kendall
/// tau-b of the ranking keys (|score|, NaN lowest), top-N Jaccard and the parting N.
/// </summary>
public sealed class MetricComparison
{
    private MetricComparison(IReadOnlyList<int> topN, IReadOnlyList<MetricPairAgreement> pairs, int experts, ProbeResult? probe)
    {
        TopN = topN; Pairs = pairs; ExpertCount = experts; Probe = probe;
    }

    /// <summary>The probe fitted for the <c>probe</c> metric, or null.</summary>
    public ProbeResult? Probe { get; }

    /// <summary>The N of the top-N overlaps.</summary>
    public IReadOnlyList<int> TopN { get; }
    /// <summary>One entry per unordered pair of metrics, in the order the metrics were given.</summary>
    public IReadOnlyList<MetricPairAgreement> Pairs { get; }
    /// <summary>Experts ranked.</summary>
    public int ExpertCount { get; }

    /// <summary>
    /// Compares the rankings of <paramref name="table"/> by each pair of <paramref name="metrics"/>; <c>probe</c> among
    /// them needs <paramref name="probe"/> (fitted on the per-pair counts of the same run).
    /// </summary>
    public static MetricComparison Compare(CountTable table, IReadOnlyList<DetectionMetric> metrics, IReadOnlyList<int> topN, ProbeResult? probe = null)
    {
        if (metrics.Count < 2) throw new ArgumentException($"--metrics: {metrics.Count} metric given; a comparison needs at least two.");
        if (probe is null && metrics.FirstOrDefault(m => m.NeedsPairCounts) is { } needs) throw needs.MissingPairCounts("--metrics");
        var statistics = ExpertStatistics.Compute(table);
        if (probe is not null) statistics = ExpertStatistics.WithProbe(statistics, probe);
        var keys = metrics.Select(m => statistics.Select(m.Magnitude).ToArray()).ToArray();
        var orders = keys.Select(ExpertRanking.Order).ToArray();
        var pairs = new List<MetricPairAgreement>();
        for (int i = 0; i < metrics.Count; i++)
            for (int j = i + 1; j < metrics.Count; j++)
                pairs.Add(new MetricPairAgreement(metrics[i], metrics[j], RankAgreement.Compare(keys[i], keys[j], orders[i], orders[j], topN)));
        return new MetricComparison(topN, pairs, statistics.Count, probe);
    }

    /// <summary>The table as CSV: metric_a, metric_b, spearman, kendall_tau_b, jaccard_top{N}..., parting_n (empty when never).</summary>
    public CsvTable ToCsv(string source = "comparison")
    {
        string[] columns = ["metric_a", "metric_b", "spearman", "kendall_tau_b", .. TopN.Select(n => $"jaccard_top{n}"), "parting_n"];
        var rows = Pairs.Select(p => (string[])
        [
            p.A.Id, p.B.Id, CsvTable.Format(p.Agreement.Spearman), CsvTable.Format(p.Agreement.KendallTauB),
            .. TopN.Select(n => CsvTable.Format(p.Agreement.TopNJaccard[n])),
            p.Agreement.PartingN?.ToString(CultureInfo.InvariantCulture) ?? "",
        ]).ToList();
        return new CsvTable(columns, rows, source);
    }
}
