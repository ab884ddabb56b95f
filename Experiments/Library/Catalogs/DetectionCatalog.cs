using Microsoft.ML;
using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Detection.Comparison;
using SteerMoE.Research.Detection.Pairs;
using SteerMoE.Research.Detection.Probe;
using SteerMoE.Research.Detection.Ranking;

namespace SteerMoE.Research.Catalogs;

/// <summary>The <c>Detection</c> catalog of a <see cref="SteerMoEContext"/>: rank experts, compare metrics, pair-level inference.</summary>
public sealed partial class DetectionCatalog
{
    private readonly SteerMoEContext _context;

    internal DetectionCatalog(SteerMoEContext context) => _context = context;

    /// <summary>The metrics experts can be ranked by (docs/CONTRACTS.md §6).</summary>
    public IReadOnlyList<DetectionMetric> Metrics => DetectionMetric.All;

    /// <summary>
    /// Every statistic of every expert of <paramref name="counts"/>, ranked by the metric <paramref name="metricId"/> (e.g. "rd");
    /// probe_weight from <paramref name="probe"/> when given (<see cref="Probe"/> on the same run's pair counts; <c>probe</c> needs it).
    /// </summary>
    public ExpertRanking Rank(CountTable counts, string metricId = "rd", ProbeResult? probe = null) =>
        ExpertRanking.Rank(counts, DetectionMetric.Get(metricId), probe);

    /// <summary>
    /// The probe detector (docs/CONTRACTS.md §6 `probe`) on the per-pair counts of a run: L1 logistic regression of the side
    /// on the routing shares, cross-validated over folds grouped by pair drawn from the context's stream
    /// <see cref="ProbeOptions.FoldStream"/>.
    /// </summary>
    public ProbeResult Probe(PairCounts pairs, ProbeOptions? options = null)
    {
        options ??= new ProbeOptions();
        options.Validate();
        return ProbeDetector.Fit(pairs, options, _context.CreateRandom(options.FoldStream));
    }

    /// <summary>
    /// The routing features of a run's per-pair counts as an ML.NET <see cref="IDataView"/> of <paramref name="ml"/>, for
    /// your own pipelines: one row per pair and side, columns Label (Boolean, side 1), Features (Single[L·E], the share of
    /// the side's span tokens routed to each (layer, expert), slot names L{layer}E{expert}), Pair and Side (Int32).
    /// </summary>
    public IDataView RoutingFeatures(MLContext ml, PairCounts pairs) => Detection.Probe.RoutingFeatures.ToDataView(ml, pairs);

    /// <summary>
    /// As <see cref="RoutingFeatures(MLContext, PairCounts)"/>, reading a run's pair_counts.npy and pair_tokens.npy
    /// (<paramref name="pairCountsPath"/>: the run folder or its pair_counts.npy).
    /// </summary>
    public IDataView LoadRoutingFeatures(MLContext ml, string pairCountsPath) =>
        Detection.Probe.RoutingFeatures.ToDataView(ml, Detection.Collection.PairCountsFile.Load(pairCountsPath));

    /// <summary>
    /// Reads counts.csv, ranks it by <paramref name="metricId"/> and writes ranking.csv atomically. <c>probe</c> needs the
    /// per-pair counts: an error here that says to give them (the overload with <c>pairCountsPath</c>).
    /// </summary>
    public ExpertRanking RankFile(string countsPath, string metricId, string rankingPath)
    {
        var metric = DetectionMetric.Get(metricId);   // an unknown id fails before any work
        if (metric.NeedsPairCounts) throw metric.MissingPairCounts();
        var ranking = ExpertRanking.Rank(CountTable.Load(countsPath), metric);
        ranking.Save(rankingPath);
        return ranking;
    }

    /// <summary>
    /// ranking.csv with probe_weight: reads counts.csv and the same run's per-pair counts (<paramref name="pairCountsPath"/>:
    /// pair_counts.npy with pair_tokens.npy beside it, or their folder; they must pool to the counts), fits the probe
    /// (<see cref="Probe"/>), ranks by <paramref name="metricId"/> and writes ranking.csv, and probe.csv and probe.json
    /// beside it. The pair-level resampling columns stay empty (the overload with <see cref="PairInferenceOptions"/> fills them).
    /// </summary>
    public ExpertRanking RankFileWithProbe(string countsPath, string metricId, string rankingPath, string pairCountsPath, ProbeOptions? probeOptions = null)
    {
        var metric = DetectionMetric.Get(metricId);
        (probeOptions ?? new ProbeOptions()).Validate();
        var table = CountTable.Load(countsPath);
        var pairs = Detection.Collection.PairCountsFile.Load(pairCountsPath);
        CheckPooled(pairs, table, pairCountsPath, countsPath);
        var ranking = ExpertRanking.Rank(table, metric, Probe(pairs, probeOptions));
        Save(ranking, rankingPath);
        return ranking;
    }
    /// <summary>
    /// As <see cref="RankFile(string, string, string)"/>, with the pair-level columns (§6) computed from the per-pair
    /// counts of a detect run (<paramref name="pairCountsPath"/>: pair_counts.npy, with pair_tokens.npy beside it, or
    /// their folder), which must pool to the count table; the permutation test and bootstrap draw from the context's
    /// streams, so a detect run and this give the same columns for the same seed. The paired t needs router
    /// probabilities: it comes from the run's paired_t.json (<paramref name="pairedTPath"/>), else stays empty.
    /// </summary>
    public ExpertRanking RankFile(string countsPath, string metricId, string rankingPath, string pairCountsPath, PairInferenceOptions? options = null, string? pairedTPath = null,
        ProbeOptions? probeOptions = null)
    {
        var metric = DetectionMetric.Get(metricId);
        (probeOptions ?? new ProbeOptions()).Validate();
        var table = CountTable.Load(countsPath);
        var pairs = Detection.Collection.PairCountsFile.Load(pairCountsPath);
        CheckPooled(pairs, table, pairCountsPath, countsPath);
        Detection.Statistics.PairedTTest? pairedT = null;
        if (pairedTPath != null)
        {
            var (state, _) = Detection.Collection.PairedTStateFile.Load(pairedTPath);
            if (state.Layers != pairs.Layers || state.Experts != pairs.Experts)
                throw new InvalidDataException($"{pairedTPath}: paired t of {state.Layers} layers × {state.Experts} experts; {pairCountsPath} has {pairs.Layers} × {pairs.Experts}.");
            pairedT = new Detection.Statistics.PairedTTest(state);
        }
        // The probe only where it is asked for (its metric or its options): it costs (folds + 1) fits.
        var probe = metric.NeedsPairCounts || probeOptions != null ? Probe(pairs, probeOptions) : null;
        var ranking = ExpertRanking.Rank(table, metric, probe).WithPairLevel(PairLevel(pairs, pairedT, options));
        Save(ranking, rankingPath);
        return ranking;
    }

    // ranking.csv, and with a probe its probe.csv and probe.json in the same folder.
    private void Save(ExpertRanking ranking, string rankingPath)
    {
        ranking.Save(rankingPath);
        ranking.Probe?.Save(Path.GetDirectoryName(Path.GetFullPath(rankingPath))!, _context.Seed);
    }

    // The per-pair counts must be those of the run that wrote the counts: pooled, they are the count table.
    private static void CheckPooled(PairCounts pairs, CountTable table, string pairCountsPath, string countsPath)
    {
        var pooled = pairs.ToCountTable();
        if (pooled.Rows.Count != table.Rows.Count || !pooled.Rows.SequenceEqual(table.Rows))
        {
            int row = Enumerable.Range(0, Math.Min(pooled.Rows.Count, table.Rows.Count)).FirstOrDefault(i => pooled.Rows[i] != table.Rows[i], -1);
            throw new InvalidDataException(row < 0
                ? $"{pairCountsPath}: {pooled.Rows.Count} (layer, expert) rows; {countsPath} has {table.Rows.Count}. Give the pair counts of the run that wrote the counts."
                : $"{pairCountsPath}: pooled over pairs, layer {pooled.Rows[row].Layer}, expert {pooled.Rows[row].Expert} is {pooled.Rows[row]}; {countsPath} has {table.Rows[row]}. Give the pair counts of the run that wrote the counts.");
        }
    }

    /// <summary>
    /// The agreement table of the rankings of <paramref name="counts"/> by each pair of the comma-separated
    /// <paramref name="metricIds"/>, with top-N overlaps at each N of <paramref name="topN"/>.
    /// </summary>
    public MetricComparison CompareMetrics(CountTable counts, string metricIds, IReadOnlyList<int> topN) =>
        MetricComparison.Compare(counts, DetectionMetric.ParseList(metricIds), topN);

    /// <summary>
    /// As <see cref="CompareMetrics(CountTable, string, IReadOnlyList{int})"/>, with the per-pair counts of the same run
    /// (<paramref name="pairs"/>, which must pool to <paramref name="counts"/>) for <c>probe</c>: the probe is fitted once
    /// (<see cref="Probe"/>) when a metric needs it.
    /// </summary>
    public MetricComparison CompareMetrics(CountTable counts, string metricIds, IReadOnlyList<int> topN, PairCounts pairs, ProbeOptions? probeOptions = null,
        string pairsSource = "pair counts")
    {
        var metrics = DetectionMetric.ParseList(metricIds);
        CheckPooled(pairs, counts, pairsSource, counts.Source);
        return MetricComparison.Compare(counts, metrics, topN, metrics.Any(m => m.NeedsPairCounts) ? Probe(pairs, probeOptions) : null);
    }

    /// <summary>Permutation test over pairs (sides swapped within pairs), on the context's random stream <paramref name="stream"/>.</summary>
    public PermutationResult PermutationTest(PairCounts pairs, int permutations, string stream = "detection/permutation") =>
        PairResampling.PermutationTest(pairs, permutations, _context.CreateRandom(stream));

    /// <summary>Cluster bootstrap over pairs: RD intervals and top-N stability, on the context's random stream <paramref name="stream"/>.</summary>
    public BootstrapResult ClusterBootstrap(PairCounts pairs, int replicates, IReadOnlyList<int> topN, string stream = "detection/bootstrap") =>
        PairResampling.ClusterBootstrap(pairs, replicates, _context.CreateRandom(stream), topN);
}
