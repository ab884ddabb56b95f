using System.Globalization;
using Microsoft.Data.Analysis;
using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Detection.Pairs;
using SteerMoE.Research.Detection.Ranking;

namespace SteerMoE.Research.Detection.Frames;

/// <summary>
/// A ranking (ranking.csv, docs/CONTRACTS.md §5.4, §6) as a <see cref="DataFrame"/>: one row per expert, best
/// first, with ranking.csv's columns in its order: <c>layer</c>, <c>expert</c> (int), the counts (long), every
/// statistic (double), the pair-level columns and <c>probe_weight</c> (double, null where ranking.csv leaves them
/// empty: not computed; pandas reads those as NaN) and <c>rank</c> (int, 1-based).
/// </summary>
public static class RankingFrame
{
    /// <summary>ranking.csv's columns and types (every column of <see cref="ExpertRanking.Columns"/>).</summary>
    public static readonly FrameSchema Schema = new("ranking.csv (docs/CONTRACTS.md §5.4)", ExpertRanking.Columns.Select(name => name switch
    {
        "layer" or "expert" or "rank" => new FrameColumn(name, FrameColumnType.Int32),
        _ when CountTable.RequiredColumns.Contains(name) => new FrameColumn(name, FrameColumnType.Int64),
        _ when PairLevelStatistics.Columns.Contains(name) || name == "probe_weight" => new FrameColumn(name, FrameColumnType.Double, Nullable: true),
        _ => new FrameColumn(name, FrameColumnType.Double),
    }).ToArray());

    /// <summary>The ranking as a frame: the rows of <see cref="ExpertRanking.Experts"/> in order (rank 1 first), the values ranking.csv holds.</summary>
    public static DataFrame ToDataFrame(this ExpertRanking ranking)
    {
        var experts = ranking.Experts;
        DoubleDataFrameColumn D(string name, Func<ExpertStatistics, double> value) => new(name, experts.Select(value));
        var columns = new List<DataFrameColumn>
        {
            new Int32DataFrameColumn("layer", experts.Select(s => s.Counts.Layer)),
            new Int32DataFrameColumn("expert", experts.Select(s => s.Counts.Expert)),
            new Int64DataFrameColumn("a1", experts.Select(s => s.Counts.A1)),
            new Int64DataFrameColumn("d1", experts.Select(s => s.Counts.D1)),
            new Int64DataFrameColumn("a2", experts.Select(s => s.Counts.A2)),
            new Int64DataFrameColumn("d2", experts.Select(s => s.Counts.D2)),
            D("risk_diff", s => s.RiskDifference), D("risk_diff_lo", s => s.RiskDifferenceLow), D("risk_diff_hi", s => s.RiskDifferenceHigh),
            D("log_odds_ratio", s => s.LogOddsRatio), D("log_odds_ratio_lo", s => s.LogOddsRatioLow), D("log_odds_ratio_hi", s => s.LogOddsRatioHigh),
            D("log_odds_ratio_raw", s => s.LogOddsRatioRaw),
            D("log_relative_risk", s => s.LogRelativeRisk), D("log_relative_risk_lo", s => s.LogRelativeRiskLow), D("log_relative_risk_hi", s => s.LogRelativeRiskHigh),
            D("fisher_p", s => s.FisherP), D("fisher_log10_p", s => s.FisherLog10P), D("fisher_q", s => s.FisherQ),
        };
        // The pair-level cells as ranking.csv writes them (round-trip text, empty when not computed).
        var cells = experts.Select(s => ranking.PairLevel?.Cells(s.Counts.Layer, s.Counts.Expert)).ToArray();
        for (int c = 0; c < PairLevelStatistics.Columns.Length; c++)
            columns.Add(new DoubleDataFrameColumn(PairLevelStatistics.Columns[c], cells.Select(row => row == null || row[c].Length == 0 ? (double?)null : ParseCell(row[c]))));
        columns.Add(new DoubleDataFrameColumn("probe_weight", experts.Select(s => double.IsNaN(s.ProbeWeight) ? (double?)null : s.ProbeWeight)));
        columns.Add(new Int32DataFrameColumn("rank", Enumerable.Range(1, experts.Count)));
        return new DataFrame(columns);
    }

    /// <summary>
    /// Reads ranking.csv: every column of §5.4 must be there (others are ignored) and hold its type; the
    /// statistics' nan, inf and -inf read as the doubles, the pair-level columns' empty cells as nulls.
    /// Rows keep the file's order (by rank).
    /// </summary>
    public static DataFrame Load(string path) => Schema.Load(path);

    /// <summary>
    /// The frame's rows as they rank by |<paramref name="scoreColumn"/>| (NaN last), ties by layer then expert:
    /// the order <see cref="ExpertRanking"/> gives, with <c>rank</c> renumbered 1..n. For a frame that holds
    /// the statistics (a ranking frame) ranked by another metric, e.g. <c>log_odds_ratio</c>.
    /// </summary>
    public static DataFrame RankBy(DataFrame frame, string scoreColumn)
    {
        var score = DoubleValues(frame, scoreColumn);
        var layer = frame.Columns.GetInt32Column("layer"); var expert = frame.Columns.GetInt32Column("expert");
        // ExpertRanking.Order breaks ties by index, i.e. by layer then expert once the rows are in that order.
        var byCell = Enumerable.Range(0, score.Length).OrderBy(i => layer[i]).ThenBy(i => expert[i]).ToArray();
        var order = ExpertRanking.Order(byCell.Select(i => DetectionMetric.MagnitudeOf(score[i])).ToArray()).Select(k => (long)byCell[k]);
        var ranked = frame[new Int64DataFrameColumn("order", order)];
        int rank = ranked.Columns.IndexOf("rank");
        if (rank >= 0) ranked.Columns.RemoveAt(rank);
        ranked.Columns.Add(new Int32DataFrameColumn("rank", Enumerable.Range(1, score.Length)));
        return ranked;
    }

    /// <summary>A double column's values (null read as NaN); an error naming the column when it is missing or not a double column.</summary>
    internal static double[] DoubleValues(DataFrame frame, string column)
    {
        int i = frame.Columns.IndexOf(column);
        if (i < 0) throw new ArgumentException($"frame: no column '{column}' (the frame has: {string.Join(",", frame.Columns.Select(c => c.Name))}).");
        if (frame.Columns[i] is not PrimitiveDataFrameColumn<double> values)
            throw new ArgumentException($"frame: column '{column}' holds {frame.Columns[i].DataType.Name}; expected a double column.");
        return values.Select(v => v ?? double.NaN).ToArray();
    }

    private static double ParseCell(string text) => text switch
    {
        "nan" => double.NaN, "inf" => double.PositiveInfinity, "-inf" => double.NegativeInfinity,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };
}
