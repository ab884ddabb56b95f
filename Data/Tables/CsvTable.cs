using System.Globalization;
using System.Text;
using SteerMoE.Research.Data.Files;

namespace SteerMoE.Research.Data.Tables;

/// <summary>
/// A CSV table held as text cells (RFC 4180 quoting, comma separator, first line = header), with typed
/// column access whose errors name the file, the line and the column. Numbers use the invariant culture.
/// </summary>
public sealed class CsvTable
{
    private readonly Dictionary<string, int> _index;

    /// <summary>Builds a table from a header and rows of cells (every row as long as the header).</summary>
    public CsvTable(IReadOnlyList<string> columns, IReadOnlyList<string[]> rows, string source = "table")
    {
        Columns = columns; Rows = rows; Source = source;
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < columns.Count; i++)
            if (!_index.TryAdd(columns[i], i)) throw new FormatException($"{source}: column '{columns[i]}' appears twice in the header.");
        for (int r = 0; r < rows.Count; r++)
            if (rows[r].Length != columns.Count)
                throw new FormatException($"{source}: line {r + 2}: {rows[r].Length} cells, expected {columns.Count} (one per header column).");
    }

    /// <summary>Header names in file order.</summary>
    public IReadOnlyList<string> Columns { get; }
    /// <summary>Data rows (without the header).</summary>
    public IReadOnlyList<string[]> Rows { get; }
    /// <summary>Where the table came from (a path), used in error messages.</summary>
    public string Source { get; }

    /// <summary>True when the header has the column.</summary>
    public bool HasColumn(string name) => _index.ContainsKey(name);

    /// <summary>The position of a required column; throws naming the file and the columns it has.</summary>
    public int ColumnIndex(string name) => _index.TryGetValue(name, out int i) ? i
        : throw new FormatException($"{Source}: missing column '{name}' (the header has: {string.Join(", ", Columns)}).");

    /// <summary>Cell as text.</summary>
    public string Text(int row, int column) => Rows[row][column];

    /// <summary>Cell as a 64-bit integer; throws naming file, line and column.</summary>
    public long Int64(int row, int column)
    {
        string s = Rows[row][column];
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)) return v;
        // Integer columns written by pandas from float arrays look like "12.0": accept exact integers only.
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d == Math.Floor(d) && Math.Abs(d) < 9e15) return (long)d;
        throw new FormatException($"{Source}: line {row + 2}, column '{Columns[column]}': '{s}' is not an integer.");
    }

    /// <summary>Cell as a double ("nan", "inf", "-inf" accepted); throws naming file, line and column.</summary>
    public double Double(int row, int column)
    {
        string s = Rows[row][column].Trim();
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return v;
        switch (s.ToLowerInvariant())
        {
            case "nan": return double.NaN;
            case "inf": case "+inf": case "infinity": return double.PositiveInfinity;
            case "-inf": case "-infinity": return double.NegativeInfinity;
        }
        throw new FormatException($"{Source}: line {row + 2}, column '{Columns[column]}': '{s}' is not a number.");
    }

    /// <summary>Reads a CSV file; errors name the file and line.</summary>
    public static CsvTable Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file.", path);
        using var reader = new StreamReader(path, Encoding.UTF8);
        return Parse(reader, path);
    }

    /// <summary>Parses CSV text from a reader.</summary>
    public static CsvTable Parse(TextReader reader, string source)
    {
        var records = new List<string[]>();
        var cells = new List<string>();
        var cell = new StringBuilder();
        int line = 1, recordLine = 1;
        bool inQuotes = false, any = false;
        int c;
        while ((c = reader.Read()) != -1)
        {
            char ch = (char)c;
            any = true;
            if (inQuotes)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"') { reader.Read(); cell.Append('"'); }
                    else inQuotes = false;
                }
                else { if (ch == '\n') line++; cell.Append(ch); }
                continue;
            }
            switch (ch)
            {
                case '"' when cell.Length == 0: inQuotes = true; break;
                case ',': cells.Add(cell.ToString()); cell.Clear(); break;
                case '\r': break;
                case '\n':
                    cells.Add(cell.ToString()); cell.Clear();
                    if (!(cells.Count == 1 && cells[0].Length == 0)) records.Add(cells.ToArray());
                    cells.Clear(); any = false; line++; recordLine = line; break;
                default: cell.Append(ch); break;
            }
        }
        if (inQuotes) throw new FormatException($"{source}: line {recordLine}: a quoted cell is not closed before the end of the file.");
        if (any) { cells.Add(cell.ToString()); if (!(cells.Count == 1 && cells[0].Length == 0)) records.Add(cells.ToArray()); }
        if (records.Count == 0) throw new FormatException($"{source}: empty file: expected a header line.");
        var header = records[0].Select(h => h.Trim()).ToArray();
        if (header.Length > 0 && header[0].StartsWith('\uFEFF')) header[0] = header[0][1..];
        return new CsvTable(header, records.Skip(1).ToList(), source);
    }

    /// <summary>Writes the table atomically (temporary file, then rename).</summary>
    public void Save(string path) => AtomicFile.Write(path, s =>
    {
        using var w = new StreamWriter(s, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
        w.WriteLine(string.Join(',', Columns.Select(Quote)));
        foreach (var row in Rows) w.WriteLine(string.Join(',', row.Select(Quote)));
    });

    /// <summary>Quotes a cell when it holds a comma, quote or line break.</summary>
    public static string Quote(string cell) =>
        cell.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + cell.Replace("\"", "\"\"") + "\"" : cell;

    /// <summary>Formats a double so that it reads back to the same value ("R" round trip; nan/inf spelled out).</summary>
    public static string Format(double v) =>
        double.IsNaN(v) ? "nan" : double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf"
        : v.ToString("R", CultureInfo.InvariantCulture);
}
