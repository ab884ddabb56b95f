using System.Globalization;
using Microsoft.Data.Analysis;
using SteerMoE.Research.Plots.Figures;
using SteerMoE.Research.Specs;

namespace SteerMoE.Research.Frames;

/// <summary>
/// The number-of-experts sweep of an experiment (the paper's ablation, specs/paper/ablation.yaml) on its results frame
/// (<see cref="ResultsFrame"/>): each steered cell's direction (<c>activate</c> when it only activates, <c>deactivate</c>
/// when it only deactivates, <c>both</c> otherwise) and number of steered experts N = activate + deactivate, then per
/// (metric, strategy, reverse, strength, direction, N) the mean of a score over the seeds with its range.
/// </summary>
public static class ExpertSweep
{
    /// <summary>The direction of a cell that activates <paramref name="activate"/> and deactivates <paramref name="deactivate"/> experts.</summary>
    public static string Direction(int activate, int deactivate) =>
        deactivate == 0 ? "activate" : activate == 0 ? "deactivate" : "both";

    /// <summary>
    /// The done, steered cells (not the baseline) of <paramref name="results"/> with two more columns: <c>direction</c>
    /// (string) and <c>steered_experts</c> (int, activate + deactivate).
    /// </summary>
    public static DataFrame SteeredCells(DataFrame results)
    {
        ResultsFrame.Schema.Check(results, "results frame");
        var done = results.Filter(results.Columns["status"].ElementwiseEquals("done"));
        var steered = done.Filter(done.Columns["strategy"].ElementwiseNotEquals(ExperimentCell.Baseline));
        var activate = steered.Columns.GetInt32Column("activate");
        var deactivate = steered.Columns.GetInt32Column("deactivate");
        var n = activate.Add(deactivate);   // element-wise: the steered experts of each cell
        n.SetName("steered_experts");
        steered.Columns.Add(new StringDataFrameColumn("direction", activate.Zip(deactivate, (a, d) => Direction(a!.Value, d!.Value))));
        steered.Columns.Add(n);
        return steered;
    }

    /// <summary>
    /// Group by metric and N: per (metric, strategy, reverse, strength, direction, steered_experts), over the seeds whose
    /// <paramref name="scoreColumn"/> is a finite number, <c>seeds</c> (how many), <c>mean</c>, <c>low</c> and <c>high</c>
    /// (the smallest and largest value: the band the ablation figure shades). Rows sorted by those keys (ordinal, N
    /// ascending). The numbers of <see cref="AblationCurves.Summarise"/> for the records of <see cref="Records"/>.
    /// </summary>
    public static DataFrame Summarise(DataFrame results, string scoreColumn)
    {
        var steered = SteeredCells(results);
        if (steered.Columns.IndexOf(scoreColumn) < 0 || steered.Columns[scoreColumn].DataType != typeof(double))
            throw new ArgumentException($"results frame: no metric column '{scoreColumn}' (its metrics: {string.Join(", ", ResultsFrame.MetricColumns(results))}).");
        // Seeds without a finite score are left out (not counted), as the figure leaves them out; this also keeps nulls
        // away from GroupBy.Mean, which divides by the group's row count including nulls.
        var score = steered.Columns.GetDoubleColumn(scoreColumn);
        var scored = steered.Filter(new BooleanDataFrameColumn("finite", score.Select(v => v is double x && double.IsFinite(x))));
        var keys = new[] { "metric", "strategy", "reverse", "strength", "direction", "steered_experts" };
        if (scored.Rows.Count == 0)   // 0.24.0's GroupBy of no rows drops the aggregated columns: build the empty summary here
            return new DataFrame(keys.Select(k => scored.Columns[k].Clone()).Concat<DataFrameColumn>(
                [new Int32DataFrameColumn("seeds"), new DoubleDataFrameColumn("mean"), new DoubleDataFrameColumn("low"), new DoubleDataFrameColumn("high")]));
        // DataFrame groups by one column: the group is the text of all keys.
        scored.Columns.Add(new StringDataFrameColumn("group", Enumerable.Range(0, (int)scored.Rows.Count)
            .Select(r => string.Join("\u001f", keys.Select(k => Convert.ToString(scored.Columns[k][r], CultureInfo.InvariantCulture))))));
        var first = scored.GroupBy("group").First(keys);
        var seeds = scored.GroupBy("group").Count(scoreColumn);
        var mean = scored.GroupBy("group").Mean(scoreColumn);
        var low = scored.GroupBy("group").Min(scoreColumn);
        var high = scored.GroupBy("group").Max(scoreColumn);
        var summary = new DataFrame(keys.Select(k => first.Columns[k].Clone()).Append(
            new Int32DataFrameColumn("seeds", seeds.Columns[scoreColumn].Cast<long?>().Select(v => (int)v!.Value))));
        summary.Columns.Add(Renamed(mean.Columns[scoreColumn], "mean"));
        summary.Columns.Add(Renamed(low.Columns[scoreColumn], "low"));
        summary.Columns.Add(Renamed(high.Columns[scoreColumn], "high"));
        return Sorted(summary);
    }

    /// <summary>
    /// The ablation records of one series of <paramref name="results"/> (cells of <paramref name="metric"/> and
    /// <paramref name="strategy"/>, not reversed unless <paramref name="reverse"/>), in row order: direction, N, seed, the
    /// score <paramref name="scoreColumn"/> and the fluency <paramref name="fluencyColumn"/> (NaN when null or not given),
    /// for <see cref="AblationCurves.Create"/>. The cells must share one strength (else give <paramref name="strength"/>).
    /// </summary>
    public static IReadOnlyList<AblationRecord> Records(DataFrame results, string scoreColumn, string? fluencyColumn, string metric,
        string strategy = "authors", bool reverse = false, double? strength = null)
    {
        var steered = SteeredCells(results);
        var rows = steered.Filter(steered.Columns["metric"].ElementwiseEquals(metric));
        rows = rows.Filter(rows.Columns["strategy"].ElementwiseEquals(strategy));
        rows = rows.Filter(rows.Columns["reverse"].ElementwiseEquals(reverse));
        if (strength is double s) rows = rows.Filter(rows.Columns["strength"].ElementwiseEquals(s));
        var strengths = rows.Columns.GetDoubleColumn("strength").Distinct().ToList();
        if (strengths.Count > 1)
            throw new ArgumentException($"results frame: metric {metric}, strategy {strategy}: cells of strengths {string.Join(", ", strengths)}; give one strength.");
        double[] Values(string? column)
        {
            if (column == null) return Enumerable.Repeat(double.NaN, (int)rows.Rows.Count).ToArray();
            if (rows.Columns.IndexOf(column) < 0) throw new ArgumentException($"results frame: no metric column '{column}'.");
            return rows.Columns.GetDoubleColumn(column).Select(v => v ?? double.NaN).ToArray();
        }
        double[] score = Values(scoreColumn), fluency = Values(fluencyColumn);
        var direction = rows.Columns.GetStringColumn("direction");
        var n = rows.Columns.GetInt32Column("steered_experts");
        var seed = rows.Columns.GetInt32Column("seed");
        return Enumerable.Range(0, (int)rows.Rows.Count)
            .Select(r => new AblationRecord(direction[r]!, n[r]!.Value, seed[r]!.Value, score[r], fluency[r])).ToList();
    }

    /// <summary>Ablation records as a frame: <c>direction</c> (string), <c>steered_experts</c>, <c>seed</c> (int), <c>metric</c>, <c>fluency</c> (double).</summary>
    public static DataFrame ToDataFrame(this IEnumerable<AblationRecord> records)
    {
        var list = records.ToList();
        return new DataFrame(
            new StringDataFrameColumn("direction", list.Select(r => r.Direction)),
            new Int32DataFrameColumn("steered_experts", list.Select(r => r.SteeredExperts)),
            new Int32DataFrameColumn("seed", list.Select(r => r.Seed)),
            new DoubleDataFrameColumn("metric", list.Select(r => r.Metric)),
            new DoubleDataFrameColumn("fluency", list.Select(r => r.Fluency)));
    }

    private static DataFrame Sorted(DataFrame summary)
    {
        string S(string column, int r) => Convert.ToString(summary.Columns[column][r], CultureInfo.InvariantCulture)!;
        var order = Enumerable.Range(0, (int)summary.Rows.Count)
            .OrderBy(r => S("metric", r), StringComparer.Ordinal).ThenBy(r => S("strategy", r), StringComparer.Ordinal)
            .ThenBy(r => (bool)summary.Columns["reverse"][r]).ThenBy(r => (double)summary.Columns["strength"][r])
            .ThenBy(r => S("direction", r), StringComparer.Ordinal).ThenBy(r => (int)summary.Columns["steered_experts"][r]);
        return summary[new Int64DataFrameColumn("order", order.Select(r => (long)r))];
    }

    private static DataFrameColumn Renamed(DataFrameColumn column, string name)
    {
        var copy = column.Clone();
        copy.SetName(name);
        return copy;
    }
}
