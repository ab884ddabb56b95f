using Microsoft.Data.Analysis;
using SteerMoE.Research.Data.Tables;

namespace SteerMoE.Research.Detection.Frames;

/// <summary>The .NET type a frame column holds (the DataFrame column class in brackets).</summary>
public enum FrameColumnType
{
    /// <summary>32-bit integers (<see cref="Int32DataFrameColumn"/>): layer, expert, rank, grid counts, seeds.</summary>
    Int32,
    /// <summary>64-bit integers (<see cref="Int64DataFrameColumn"/>): token counts a1, d1, a2, d2.</summary>
    Int64,
    /// <summary>Doubles (<see cref="DoubleDataFrameColumn"/>): statistics; nan, inf, -inf spelled out in the file.</summary>
    Double,
    /// <summary>Text (<see cref="StringDataFrameColumn"/>): ids, keys, labels.</summary>
    String,
    /// <summary>true / false (<see cref="BooleanDataFrameColumn"/>).</summary>
    Boolean,
}

/// <summary>
/// One column a file's contract requires: its name, its type, and whether an empty cell is allowed (read as a
/// DataFrame null, where pandas reads NaN; e.g. ranking.csv's pair-level columns when they were not computed).
/// </summary>
public sealed record FrameColumn(string Name, FrameColumnType Type, bool Nullable = false);

/// <summary>
/// The columns of one CSV file of docs/CONTRACTS.md and how they read into a typed <see cref="DataFrame"/>.
/// The file is parsed by <see cref="CsvTable"/> (the parser every reader of the project uses), not by
/// <c>DataFrame.LoadCsv</c>: LoadCsv guesses each column's type from its first rows (layer becomes a float,
/// a column holding <c>inf</c> a string) and its errors name neither the file nor the column.
/// Every error is a <see cref="FormatException"/> (a missing file a <see cref="FileNotFoundException"/>) whose
/// message starts with the file and names the column and what was expected.
/// </summary>
public sealed class FrameSchema
{
    /// <summary>A schema for the file kind <paramref name="name"/> (e.g. "counts.csv (docs/CONTRACTS.md §5.3)").</summary>
    public FrameSchema(string name, IReadOnlyList<FrameColumn> columns)
    {
        Name = name; Columns = columns;
    }

    /// <summary>The file kind and the contract section that fixes it, as errors quote it.</summary>
    public string Name { get; }
    /// <summary>The required columns, in the contract's order (the frame's column order).</summary>
    public IReadOnlyList<FrameColumn> Columns { get; }

    /// <summary>
    /// The frame of <paramref name="csv"/>: the required columns, typed, in the schema's order, then (when
    /// <paramref name="extra"/> gives a type for it) each other column of the file in file order; columns
    /// <paramref name="extra"/> returns null for are left out (the contract's "other columns are ignored").
    /// </summary>
    public DataFrame Read(CsvTable csv, Func<string, FrameColumn?>? extra = null)
    {
        var missing = Columns.Where(c => !csv.HasColumn(c.Name)).Select(c => c.Name).ToList();
        if (missing.Count > 0)
            throw new FormatException($"{csv.Source}: missing column{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(m => $"'{m}'"))}: " +
                $"{Name} has the columns {string.Join(",", Columns.Select(c => c.Name))} (the header has: {string.Join(",", csv.Columns)}).");
        var columns = Columns.Select(c => ReadColumn(csv, c)).ToList();
        if (extra != null)
            foreach (string name in csv.Columns)
                if (!Columns.Any(c => c.Name == name) && extra(name) is { } column)
                    columns.Add(ReadColumn(csv, column with { Name = name }));
        return new DataFrame(columns);
    }

    /// <summary>Loads the CSV file <paramref name="path"/> (strict UTF-8 with RFC 4180 quoting) and reads it as <see cref="Read"/> does.</summary>
    public DataFrame Load(string path, Func<string, FrameColumn?>? extra = null) => Read(CsvTable.Load(path), extra);

    /// <summary>
    /// Checks that <paramref name="frame"/> has every column of the schema with its type (a frame built or edited
    /// in code before it is analysed); <paramref name="source"/> names it in the error.
    /// </summary>
    public void Check(DataFrame frame, string source)
    {
        foreach (var c in Columns)
        {
            int i = frame.Columns.IndexOf(c.Name);
            if (i < 0)
                throw new ArgumentException($"{source}: missing column '{c.Name}': {Name} has the columns {string.Join(",", Columns.Select(x => x.Name))} " +
                    $"(the frame has: {string.Join(",", frame.Columns.Select(x => x.Name))}).");
            var expected = ClrType(c.Type);
            if (frame.Columns[i].DataType != expected)
                throw new ArgumentException($"{source}: column '{c.Name}' holds {frame.Columns[i].DataType.Name}; {Name} expects {expected.Name}.");
        }
    }

    /// <summary>The element type of a column of <paramref name="type"/>.</summary>
    public static Type ClrType(FrameColumnType type) => type switch
    {
        FrameColumnType.Int32 => typeof(int),
        FrameColumnType.Int64 => typeof(long),
        FrameColumnType.Double => typeof(double),
        FrameColumnType.String => typeof(string),
        _ => typeof(bool),
    };

    /// <summary>Reads one column of <paramref name="csv"/> as <paramref name="column"/> says; errors name file, line and column.</summary>
    public DataFrameColumn ReadColumn(CsvTable csv, FrameColumn column)
    {
        int index = csv.ColumnIndex(column.Name);
        int n = csv.Rows.Count;
        bool Empty(int r)
        {
            if (csv.Text(r, index).Trim().Length > 0) return false;
            if (column.Nullable) return true;
            throw new FormatException($"{csv.Source}: line {r + 2}, column '{column.Name}': empty; {Name} expects {Expected(column.Type)} in every row.");
        }
        switch (column.Type)
        {
            case FrameColumnType.Int32:
            {
                var values = new int?[n];
                for (int r = 0; r < n; r++)
                {
                    if (Empty(r)) continue;
                    long v = Integer(csv, r, index, column);
                    if (v is < int.MinValue or > int.MaxValue)
                        throw new FormatException($"{csv.Source}: line {r + 2}, column '{column.Name}': {v} is out of range; {Name} expects a 32-bit integer.");
                    values[r] = (int)v;
                }
                return new Int32DataFrameColumn(column.Name, values);
            }
            case FrameColumnType.Int64:
            {
                var values = new long?[n];
                for (int r = 0; r < n; r++) if (!Empty(r)) values[r] = Integer(csv, r, index, column);
                return new Int64DataFrameColumn(column.Name, values);
            }
            case FrameColumnType.Double:
            {
                var values = new double?[n];
                for (int r = 0; r < n; r++)
                {
                    if (Empty(r)) continue;
                    try { values[r] = csv.Double(r, index); }
                    catch (FormatException e) { throw new FormatException($"{e.Message} {Name} expects {Expected(column.Type)} in column '{column.Name}'.", e); }
                }
                return new DoubleDataFrameColumn(column.Name, values);
            }
            case FrameColumnType.Boolean:
            {
                var values = new bool?[n];
                for (int r = 0; r < n; r++)
                {
                    if (Empty(r)) continue;
                    values[r] = csv.Text(r, index).Trim() switch
                    {
                        "true" or "True" => true,
                        "false" or "False" => false,
                        var s => throw new FormatException($"{csv.Source}: line {r + 2}, column '{column.Name}': '{s}'; {Name} expects {Expected(column.Type)}."),
                    };
                }
                return new BooleanDataFrameColumn(column.Name, values);
            }
            default:
            {
                var values = new string?[n];
                for (int r = 0; r < n; r++) values[r] = Empty(r) ? null : csv.Text(r, index);
                return new StringDataFrameColumn(column.Name, values);
            }
        }
    }

    private long Integer(CsvTable csv, int r, int index, FrameColumn column)
    {
        try { return csv.Int64(r, index); }
        catch (FormatException e) { throw new FormatException($"{e.Message} {Name} expects {Expected(column.Type)} in column '{column.Name}'.", e); }
    }

    private static string Expected(FrameColumnType type) => type switch
    {
        FrameColumnType.Int32 or FrameColumnType.Int64 => "an integer",
        FrameColumnType.Double => "a number (nan, inf, -inf allowed)",
        FrameColumnType.Boolean => "true or false",
        _ => "a text",
    };
}
