using Microsoft.Data.Analysis;
using SteerMoE.Research.Detection.Ranking;

namespace SteerMoE.Research.Detection.Frames;

/// <summary>
/// The analyses of one ranking expressed on its frame (<see cref="RankingFrame"/>): aggregates per layer, how
/// many of the top experts sit in each layer, and how the top-N sets of several metrics overlap (grouped by
/// metric). Each returns a new frame; the input is not changed.
/// </summary>
public static class RankingAnalysis
{
    /// <summary>
    /// Group by layer: per layer (ascending), <c>experts</c> (rows), <c>a1</c>, <c>a2</c> (sums of the counts: k·N1
    /// and k·N2 when every expert of the layer is a row, since each token is routed to k experts), the mean of
    /// <paramref name="scoreColumn"/> (<c>{score}_mean</c>, over the layer's rows in frame order; for the risk
    /// difference of a whole layer always 0 up to rounding, as its a1/N1 sum to k on both sides), the mean and the
    /// largest of its magnitude (<c>{score}_mean_abs</c>, <c>{score}_max_abs</c>: how strongly the layer's experts
    /// separate the behaviours). The frame needs <c>layer</c>, <c>a1</c>, <c>a2</c> and the score column without nulls.
    /// </summary>
    public static DataFrame ByLayer(DataFrame ranking, string scoreColumn = "risk_diff")
    {
        double[] score = RankingFrame.DoubleValues(ranking, scoreColumn);
        if (score.Any(double.IsNaN) || ranking.Columns[scoreColumn].NullCount > 0)
            // DataFrame's GroupBy.Mean divides by the row count, nulls included; a NaN would hide the layer's other rows.
            throw new ArgumentException($"frame: column '{scoreColumn}' has nan or empty scores; the per-layer mean needs a score on every row.");
        var frame = new DataFrame(ranking.Columns["layer"].Clone(), ranking.Columns["a1"].Clone(), ranking.Columns["a2"].Clone(),
            ranking.Columns[scoreColumn].Clone(), new DoubleDataFrameColumn("abs", score.Select(Math.Abs)));
        var sums = frame.GroupBy("layer").Sum("a1", "a2").OrderBy("layer");
        var counts = frame.GroupBy("layer").Count("a1").OrderBy("layer");
        var means = frame.GroupBy("layer").Mean(scoreColumn, "abs").OrderBy("layer");
        var largest = frame.GroupBy("layer").Max("abs").OrderBy("layer");
        var experts = new Int32DataFrameColumn("experts", ((PrimitiveDataFrameColumn<long>)counts.Columns["a1"]).Select(v => (int)v!.Value));
        var mean = means.Columns[scoreColumn].Clone(); mean.SetName(scoreColumn + "_mean");
        var meanAbs = means.Columns["abs"].Clone(); meanAbs.SetName(scoreColumn + "_mean_abs");
        var maxAbs = largest.Columns["abs"].Clone(); maxAbs.SetName(scoreColumn + "_max_abs");
        return new DataFrame(sums.Columns["layer"], experts, sums.Columns["a1"], sums.Columns["a2"], mean, meanAbs, maxAbs);
    }

    /// <summary>
    /// How many of the <paramref name="topN"/> most positive and the <paramref name="topN"/> most negative scores of
    /// <paramref name="scoreColumn"/> sit in each layer (the paper's count of top-ranked experts per layer; ties by
    /// layer then expert; a score of 0 or NaN is neither): columns <c>layer</c> (0 to the frame's last layer),
    /// <c>positive</c>, <c>negative</c> (int).
    /// </summary>
    public static DataFrame TopPerLayer(DataFrame ranking, string scoreColumn, int topN)
    {
        if (topN < 1) throw new ArgumentException($"top experts per layer: N = {topN}; expected N >= 1.");
        // In the order of |score| (ties by layer, expert), the positive rows are by score descending, the negative ascending.
        var ordered = RankingFrame.RankBy(ranking, scoreColumn);
        var score = ordered.Columns[scoreColumn];
        int layers = ((PrimitiveDataFrameColumn<int>)ranking.Columns["layer"]).Max(v => v ?? 0) + 1;
        int[] PerLayer(DataFrame rows)
        {
            var counts = new int[layers];
            if (rows.Rows.Count == 0) return counts;
            var grouped = rows.Head((int)Math.Min(topN, rows.Rows.Count)).GroupBy("layer").Count("expert");   // Head fails past the last row
            var layer = (PrimitiveDataFrameColumn<int>)grouped.Columns["layer"];
            var count = (PrimitiveDataFrameColumn<long>)grouped.Columns["expert"];
            for (long g = 0; g < grouped.Rows.Count; g++) counts[layer[g]!.Value] = (int)count[g]!.Value;
            return counts;
        }
        int[] positive = PerLayer(ordered.Filter(score.ElementwiseGreaterThan(0.0)));
        int[] negative = PerLayer(ordered.Filter(score.ElementwiseLessThan(0.0)));
        return new DataFrame(new Int32DataFrameColumn("layer", Enumerable.Range(0, layers)),
            new Int32DataFrameColumn("positive", positive), new Int32DataFrameColumn("negative", negative));
    }

    /// <summary>
    /// The top-N experts of each metric in long form, for grouping by metric: columns <c>metric</c> (the id),
    /// <c>rank</c> (1..<paramref name="depth"/>), <c>layer</c>, <c>expert</c>, <c>score</c>; per metric its
    /// <paramref name="depth"/> first experts by |score| (ties by layer, then expert; NaN last), as
    /// <see cref="ExpertRanking"/> orders them. <paramref name="metricIds"/>: §6's ids (rd, log-or, ...), read from their columns.
    /// </summary>
    public static DataFrame TopExperts(DataFrame ranking, IReadOnlyList<string> metricIds, int depth)
    {
        if (depth < 1) throw new ArgumentException($"top experts: N = {depth}; expected N >= 1.");
        DataFrame? stacked = null;
        foreach (string id in metricIds)
        {
            var metric = DetectionMetric.Get(id, "metric");
            var ranked = RankingFrame.RankBy(ranking, metric.Column);
            var top = ranked.Head((int)Math.Min(depth, ranked.Rows.Count));   // Head fails past the last row
            var part = new DataFrame(new StringDataFrameColumn("metric", Enumerable.Repeat(metric.Id, (int)top.Rows.Count)),
                top.Columns["rank"].Clone(), top.Columns["layer"].Clone(), top.Columns["expert"].Clone(), Renamed(top.Columns[metric.Column], "score"));
            stacked = stacked == null ? part : stacked.Append(part.Rows, inPlace: false);
        }
        return stacked ?? throw new ArgumentException("top experts: no metric given.");
    }

    /// <summary>
    /// Overlap of the metrics' top-N sets, grouped by metric: for every pair of <paramref name="metricIds"/> (in the
    /// order given) and every N of <paramref name="topN"/>, columns <c>metric_a</c>, <c>metric_b</c>, <c>n</c>,
    /// <c>shared</c> (experts in both top-N sets) and <c>jaccard</c> (shared / size of the union). The same numbers as
    /// <see cref="Comparison.RankAgreement.TopNJaccard"/> (an N beyond the table's experts compares all of them).
    /// </summary>
    public static DataFrame TopNOverlap(DataFrame ranking, IReadOnlyList<string> metricIds, IReadOnlyList<int> topN)
    {
        if (metricIds.Count < 2) throw new ArgumentException($"top-N overlap: {metricIds.Count} metric given; a comparison needs at least two.");
        if (topN.Count == 0 || topN.Any(n => n < 1)) throw new ArgumentException($"top-N overlap: N = {string.Join(",", topN)}; expected positive numbers of experts.");
        var top = TopExperts(ranking, metricIds, topN.Max());
        var rank = top.Columns["rank"];
        var a = new List<string>(); var b = new List<string>(); var ns = new List<int>(); var shared = new List<int>(); var jaccard = new List<double>();
        foreach (int n in topN)
        {
            // The top-N set of each metric: its rows with rank <= N, grouped by metric.
            var sets = top.Filter(rank.ElementwiseLessThanOrEqual(n)).GroupBy<string>("metric").Groupings
                .ToDictionary(g => g.Key, g => g.Select(row => ((int)row["layer"], (int)row["expert"])).ToHashSet());
            var ids = metricIds.Select(id => DetectionMetric.Get(id, "metric").Id).ToArray();
            for (int i = 0; i < ids.Length; i++)
                for (int j = i + 1; j < ids.Length; j++)
                {
                    int both = sets[ids[i]].Count(sets[ids[j]].Contains);
                    a.Add(ids[i]); b.Add(ids[j]); ns.Add(n); shared.Add(both);
                    jaccard.Add((double)both / (sets[ids[i]].Count + sets[ids[j]].Count - both));
                }
        }
        return new DataFrame(new StringDataFrameColumn("metric_a", a), new StringDataFrameColumn("metric_b", b),
            new Int32DataFrameColumn("n", ns), new Int32DataFrameColumn("shared", shared), new DoubleDataFrameColumn("jaccard", jaccard));
    }

    private static DataFrameColumn Renamed(DataFrameColumn column, string name)
    {
        var copy = column.Clone();
        copy.SetName(name);
        return copy;
    }
}
