using Microsoft.Data.Analysis;
using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Data.Tables;

namespace SteerMoE.Research.Detection.Frames;

/// <summary>
/// A count table (counts.csv, docs/CONTRACTS.md §5.3) as a <see cref="DataFrame"/>: one row per (layer, expert),
/// sorted by layer then expert; columns <c>layer</c>, <c>expert</c> (int) and <c>a1</c>, <c>d1</c>, <c>a2</c>,
/// <c>d2</c> (long, as <see cref="ExpertCounts"/> holds them; pandas reads them as int64 too).
/// </summary>
public static class CountFrame
{
    /// <summary>counts.csv's columns and types.</summary>
    public static readonly FrameSchema Schema = new("counts.csv (docs/CONTRACTS.md §5.3)",
    [
        new("layer", FrameColumnType.Int32), new("expert", FrameColumnType.Int32),
        new("a1", FrameColumnType.Int64), new("d1", FrameColumnType.Int64), new("a2", FrameColumnType.Int64), new("d2", FrameColumnType.Int64),
    ]);

    /// <summary>The table's rows as a frame (same order: layer, then expert).</summary>
    public static DataFrame ToDataFrame(this CountTable table)
    {
        var rows = table.Rows;
        return new DataFrame(
            new Int32DataFrameColumn("layer", rows.Select(r => r.Layer)),
            new Int32DataFrameColumn("expert", rows.Select(r => r.Expert)),
            new Int64DataFrameColumn("a1", rows.Select(r => r.A1)),
            new Int64DataFrameColumn("d1", rows.Select(r => r.D1)),
            new Int64DataFrameColumn("a2", rows.Select(r => r.A2)),
            new Int64DataFrameColumn("d2", rows.Select(r => r.D2)));
    }

    /// <summary>
    /// Reads a counts CSV (any file with at least the six columns, such as the authors' released tables; other
    /// columns are ignored): every cell typed as <see cref="Schema"/> says, then the count table's own checks
    /// (non-negative, each (layer, expert) once, a+d the same on every row of a side). Rows sorted by layer, expert.
    /// </summary>
    public static DataFrame Load(string path)
    {
        var csv = CsvTable.Load(path);
        Schema.Read(csv);   // typed cells: errors name the file, line, column and the type expected
        return CountTable.FromCsv(csv).ToDataFrame();
    }

    /// <summary>
    /// The count table of a frame with the six columns (a frame loaded, filtered or built in code), checked as a
    /// count table is; <paramref name="source"/> names it in errors.
    /// </summary>
    public static CountTable ToCountTable(this DataFrame frame, string source = "count frame")
    {
        Schema.Check(frame, source);
        var layer = frame.Columns.GetInt32Column("layer"); var expert = frame.Columns.GetInt32Column("expert");
        var a1 = frame.Columns.GetInt64Column("a1"); var d1 = frame.Columns.GetInt64Column("d1");
        var a2 = frame.Columns.GetInt64Column("a2"); var d2 = frame.Columns.GetInt64Column("d2");
        var rows = new ExpertCounts[frame.Rows.Count];
        for (long r = 0; r < frame.Rows.Count; r++)
        {
            if (layer[r] is not int l || expert[r] is not int e || a1[r] is not long x1 || d1[r] is not long y1 || a2[r] is not long x2 || d2[r] is not long y2)
                throw new ArgumentException($"{source}: row {r}: a null count; every row of a count table has layer, expert, a1, d1, a2 and d2.");
            rows[r] = new ExpertCounts(l, e, x1, y1, x2, y2);
        }
        return new CountTable(rows, source);
    }
}
