using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Detection.Comparison;
using SteerMoE.Research.Detection.Pairs;
using SteerMoE.Research.Detection.Ranking;

namespace SteerMoE.Research.Catalogs;

/// <summary>The <c>Detection</c> catalog of a <see cref="SteerMoEContext"/>: rank experts, compare metrics, pair-level inference.</summary>
public sealed partial class DetectionCatalog
{
    private readonly SteerMoEContext _context;

    internal DetectionCatalog(SteerMoEContext context) => _context = context;

    /// <summary>The metrics experts can be ranked by (docs/CONTRACTS.md §6).</summary>
    public IReadOnlyList<DetectionMetric> Metrics => DetectionMetric.All;

    /// <summary>Every statistic of every expert of <paramref name="counts"/>, ranked by the metric <paramref name="metricId"/> (e.g. "rd").</summary>
    public ExpertRanking Rank(CountTable counts, string metricId = "rd") =>
        ExpertRanking.Rank(counts, DetectionMetric.Get(metricId));

    /// <summary>Reads counts.csv, ranks it by <paramref name="metricId"/> and writes ranking.csv atomically.</summary>
    public ExpertRanking RankFile(string countsPath, string metricId, string rankingPath)
    {
        var metric = DetectionMetric.Get(metricId);   // an unknown id fails before any work
        var ranking = ExpertRanking.Rank(CountTable.Load(countsPath), metric);
        ranking.Save(rankingPath);
        return ranking;
    }

    /// <summary>
    /// The agreement table of the rankings of <paramref name="counts"/> by each pair of the comma-separated
    /// <paramref name="metricIds"/>, with top-N overlaps at each N of <paramref name="topN"/>.
    /// </summary>
    public MetricComparison CompareMetrics(CountTable counts, string metricIds, IReadOnlyList<int> topN) =>
        MetricComparison.Compare(counts, DetectionMetric.ParseList(metricIds), topN);

    /// <summary>Permutation test over pairs (sides swapped within pairs), on the context's random stream <paramref name="stream"/>.</summary>
    public PermutationResult PermutationTest(PairCounts pairs, int permutations, string stream = "detection/permutation") =>
        PairResampling.PermutationTest(pairs, permutations, _context.CreateRandom(stream));

    /// <summary>Cluster bootstrap over pairs: RD intervals and top-N stability, on the context's random stream <paramref name="stream"/>.</summary>
    public BootstrapResult ClusterBootstrap(PairCounts pairs, int replicates, IReadOnlyList<int> topN, string stream = "detection/bootstrap") =>
        PairResampling.ClusterBootstrap(pairs, replicates, _context.CreateRandom(stream), topN);
}
