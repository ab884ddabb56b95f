using System.Globalization;
using Microsoft.Data.Analysis;
using SteerMoE.Research.Detection.Frames;
using SteerMoE.Research.Registry;

namespace SteerMoE.Research.Frames;

/// <summary>
/// An experiment's results (results.csv, docs/CONTRACTS.md §13) as a <see cref="DataFrame"/>: one row per cell in the
/// registry's order; <c>key</c>, <c>metric</c>, <c>strategy</c> (string), <c>activate</c>, <c>deactivate</c> (int),
/// <c>reverse</c> (bool), <c>strength</c> (double), <c>seed</c> (int), <c>status</c> (string: pending, running, done,
/// failed), then one double column per metric name (sorted ordinally), null where the cell has no such metric
/// (results.csv leaves it empty; pandas reads NaN).
/// </summary>
public static class ResultsFrame
{
    /// <summary>results.csv's fixed columns; every column after them is a metric (double, empty allowed).</summary>
    public static readonly FrameSchema Schema = new("results.csv (docs/CONTRACTS.md §13)",
    [
        new("key", FrameColumnType.String), new("metric", FrameColumnType.String), new("strategy", FrameColumnType.String),
        new("activate", FrameColumnType.Int32), new("deactivate", FrameColumnType.Int32), new("reverse", FrameColumnType.Boolean),
        new("strength", FrameColumnType.Double), new("seed", FrameColumnType.Int32), new("status", FrameColumnType.String),
    ]);

    /// <summary>
    /// Reads results.csv: the fixed columns typed as <see cref="Schema"/> says, every other column as a metric
    /// (a number, nan/inf spelled out, or empty = null). Errors name the file, the line and the column.
    /// </summary>
    public static DataFrame Load(string path) => Schema.Load(path, name => new FrameColumn(name, FrameColumnType.Double, Nullable: true));

    /// <summary>The cells as results.csv holds them (the columns and values <see cref="Running.ExperimentRunner.WriteResults"/> writes).</summary>
    public static DataFrame ToDataFrame(this IReadOnlyList<CellRecord> cells)
    {
        var metricNames = cells.SelectMany(c => c.Metrics.Keys).Distinct().Order(StringComparer.Ordinal).ToArray();
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("key", cells.Select(c => c.Key)),
            new StringDataFrameColumn("metric", cells.Select(c => c.Cell.Metric)),
            new StringDataFrameColumn("strategy", cells.Select(c => c.Cell.Strategy)),
            new Int32DataFrameColumn("activate", cells.Select(c => c.Cell.Activate)),
            new Int32DataFrameColumn("deactivate", cells.Select(c => c.Cell.Deactivate)),
            new BooleanDataFrameColumn("reverse", cells.Select(c => c.Cell.Reverse)),
            new DoubleDataFrameColumn("strength", cells.Select(c => c.Cell.Strength)),
            new Int32DataFrameColumn("seed", cells.Select(c => c.Cell.Seed)),
            new StringDataFrameColumn("status", cells.Select(c => c.Status.ToString().ToLower(CultureInfo.InvariantCulture))),
        };
        foreach (string name in metricNames)
            columns.Add(new DoubleDataFrameColumn(name, cells.Select(c => c.Metrics.TryGetValue(name, out double v) ? v : (double?)null)));
        return new DataFrame(columns);
    }

    /// <summary>The names of the metric columns of a results frame (every column after the fixed ones).</summary>
    public static IReadOnlyList<string> MetricColumns(DataFrame results) =>
        results.Columns.Select(c => c.Name).Where(n => !Schema.Columns.Any(s => s.Name == n)).ToList();
}
