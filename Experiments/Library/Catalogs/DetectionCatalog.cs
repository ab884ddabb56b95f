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
    /// As <see cref="RankFile(string, string, string)"/>, with the pair-level columns (§6) computed from the per-pair
    /// counts of a detect run (<paramref name="pairCountsPath"/>: pair_counts.npy, with pair_tokens.npy beside it, or
    /// their folder), which must pool to the count table; the permutation test and bootstrap draw from the context's
    /// streams, so a detect run and this give the same columns for the same seed. The paired t needs router
    /// probabilities: it comes from the run's paired_t.json (<paramref name="pairedTPath"/>), else stays empty.
    /// </summary>
    public ExpertRanking RankFile(string countsPath, string metricId, string rankingPath, string pairCountsPath, PairInferenceOptions? options = null, string? pairedTPath = null)
    {
        var metric = DetectionMetric.Get(metricId);
        var table = CountTable.Load(countsPath);
        var pairs = Detection.Collection.PairCountsFile.Load(pairCountsPath);
        var pooled = pairs.ToCountTable();
        if (pooled.Rows.Count != table.Rows.Count || !pooled.Rows.SequenceEqual(table.Rows))
        {
            int row = Enumerable.Range(0, Math.Min(pooled.Rows.Count, table.Rows.Count)).FirstOrDefault(i => pooled.Rows[i] != table.Rows[i], -1);
            throw new InvalidDataException(row < 0
                ? $"{pairCountsPath}: {pooled.Rows.Count} (layer, expert) rows; {countsPath} has {table.Rows.Count}. Give the pair counts of the run that wrote the counts."
                : $"{pairCountsPath}: pooled over pairs, layer {pooled.Rows[row].Layer}, expert {pooled.Rows[row].Expert} is {pooled.Rows[row]}; {countsPath} has {table.Rows[row]}. Give the pair counts of the run that wrote the counts.");
        }
        Detection.Statistics.PairedTTest? pairedT = null;
        if (pairedTPath != null)
        {
            var (state, _) = Detection.Collection.PairedTStateFile.Load(pairedTPath);
            if (state.Layers != pairs.Layers || state.Experts != pairs.Experts)
                throw new InvalidDataException($"{pairedTPath}: paired t of {state.Layers} layers × {state.Experts} experts; {pairCountsPath} has {pairs.Layers} × {pairs.Experts}.");
            pairedT = new Detection.Statistics.PairedTTest(state);
        }
        var ranking = ExpertRanking.Rank(table, metric).WithPairLevel(PairLevel(pairs, pairedT, options));
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
