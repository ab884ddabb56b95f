using System.Text.RegularExpressions;
using Microsoft.Data.Analysis;
using SteerMoE.Research.Detection.Comparison;

namespace SteerMoE.Research.Detection.Frames;

/// <summary>
/// The agreement table of <see cref="MetricComparison"/> (`steermoe compare --out`, docs/CONTRACTS.md §5.4) as a
/// <see cref="DataFrame"/>: one row per pair of metrics; <c>metric_a</c>, <c>metric_b</c> (string), <c>spearman</c>,
/// <c>kendall_tau_b</c>, <c>jaccard_top{N}</c> for each N (double), <c>parting_n</c> (int, null when the top-N sets never differ).
/// </summary>
public static partial class ComparisonFrame
{
    /// <summary>The agreement table's fixed columns; the <c>jaccard_top{N}</c> columns between kendall_tau_b and parting_n vary with N.</summary>
    public static readonly FrameSchema Schema = new("the agreement table of `steermoe compare --out` (docs/CONTRACTS.md §5.4)",
    [
        new("metric_a", FrameColumnType.String), new("metric_b", FrameColumnType.String),
        new("spearman", FrameColumnType.Double), new("kendall_tau_b", FrameColumnType.Double),
        new("parting_n", FrameColumnType.Int32, Nullable: true),
    ]);

    /// <summary>The comparison as a frame, rows in <see cref="MetricComparison.Pairs"/> order, columns in the CSV's order.</summary>
    public static DataFrame ToDataFrame(this MetricComparison comparison)
    {
        var pairs = comparison.Pairs;
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("metric_a", pairs.Select(p => p.A.Id)),
            new StringDataFrameColumn("metric_b", pairs.Select(p => p.B.Id)),
            new DoubleDataFrameColumn("spearman", pairs.Select(p => p.Agreement.Spearman)),
            new DoubleDataFrameColumn("kendall_tau_b", pairs.Select(p => p.Agreement.KendallTauB)),
        };
        foreach (int n in comparison.TopN)
            columns.Add(new DoubleDataFrameColumn($"jaccard_top{n}", pairs.Select(p => p.Agreement.TopNJaccard[n])));
        columns.Add(new Int32DataFrameColumn("parting_n", pairs.Select(p => p.Agreement.PartingN)));
        return new DataFrame(columns);
    }

    /// <summary>
    /// Reads the agreement table: the fixed columns of <see cref="Schema"/> and every <c>jaccard_top{N}</c> column
    /// (double), in file order; other columns are ignored. Errors name the file, the line and the column.
    /// </summary>
    public static DataFrame Load(string path)
    {
        var frame = Schema.Load(path, name => JaccardColumn().IsMatch(name) ? new FrameColumn(name, FrameColumnType.Double) : null);
        // Back into the CSV's column order: the Jaccard columns sit before parting_n.
        var parting = frame.Columns["parting_n"];
        frame.Columns.Remove("parting_n");
        frame.Columns.Add(parting);
        return frame;
    }

    [GeneratedRegex("^jaccard_top[1-9][0-9]*$")]
    private static partial Regex JaccardColumn();
}
