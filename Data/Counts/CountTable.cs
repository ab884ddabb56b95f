using System.Globalization;
using SteerMoE.Research.Data.Tables;

namespace SteerMoE.Research.Data.Counts;

/// <summary>
/// Activation counts of one (layer, expert): side 1 (messages_0) activated a1 times and not d1 times over
/// its N1 counted tokens; side 2 likewise. Column names are the authors' (docs/CONTRACTS.md).
/// </summary>
public readonly record struct ExpertCounts(int Layer, int Expert, long A1, long D1, long A2, long D2)
{
    /// <summary>Tokens counted on side 1 (a1 + d1).</summary>
    public long N1 => A1 + D1;
    /// <summary>Tokens counted on side 2 (a2 + d2).</summary>
    public long N2 => A2 + D2;
}

/// <summary>
/// A per-(layer, expert) count table: the input of ranking, planning and figures. Rows are kept sorted by
/// layer, then expert. Invariants checked on construction: counts are non-negative, (layer, expert) is
/// unique, and a+d is the same for every row of a side (it is that side's token count).
/// </summary>
public sealed class CountTable
{
    /// <summary>The columns every count table has, in this order.</summary>
    public static readonly string[] RequiredColumns = ["layer", "expert", "a1", "d1", "a2", "d2"];

    /// <summary>Builds and validates a table; <paramref name="source"/> names it in errors.</summary>
    public CountTable(IEnumerable<ExpertCounts> rows, string source = "count table")
    {
        Source = source;
        Rows = rows.OrderBy(r => r.Layer).ThenBy(r => r.Expert).ToArray();
        if (Rows.Count == 0) throw new FormatException($"{source}: the table has no rows.");
        var first = Rows[0];
        for (int i = 0; i < Rows.Count; i++)
        {
            var r = Rows[i];
            if (r.Layer < 0 || r.Expert < 0) throw new FormatException($"{source}: layer {r.Layer}, expert {r.Expert}: indices must be >= 0.");
            if (r.A1 < 0 || r.D1 < 0 || r.A2 < 0 || r.D2 < 0)
                throw new FormatException($"{source}: layer {r.Layer}, expert {r.Expert}: negative count (a1={r.A1}, d1={r.D1}, a2={r.A2}, d2={r.D2}).");
            if (i > 0 && Rows[i - 1].Layer == r.Layer && Rows[i - 1].Expert == r.Expert)
                throw new FormatException($"{source}: layer {r.Layer}, expert {r.Expert} appears twice.");
            if (r.N1 != first.N1)
                throw new FormatException($"{source}: layer {r.Layer}, expert {r.Expert}: a1+d1 = {r.N1}, but layer {first.Layer}, expert {first.Expert} has {first.N1}; a1+d1 is side 1's token count and must be the same for every expert.");
            if (r.N2 != first.N2)
                throw new FormatException($"{source}: layer {r.Layer}, expert {r.Expert}: a2+d2 = {r.N2}, but layer {first.Layer}, expert {first.Expert} has {first.N2}; a2+d2 is side 2's token count and must be the same for every expert.");
        }
        N1 = first.N1; N2 = first.N2;
        Layers = Rows.Select(r => r.Layer).Distinct().ToArray();
        LayerCount = Rows.Max(r => r.Layer) + 1;
        ExpertCount = Rows.Max(r => r.Expert) + 1;
    }

    /// <summary>Rows sorted by layer, then expert.</summary>
    public IReadOnlyList<ExpertCounts> Rows { get; }
    /// <summary>Tokens counted on side 1.</summary>
    public long N1 { get; }
    /// <summary>Tokens counted on side 2.</summary>
    public long N2 { get; }
    /// <summary>1 + the largest layer index.</summary>
    public int LayerCount { get; }
    /// <summary>The layer indices that have rows, ascending (decoder-layer indices: a dense layer of an interleaved model has none).</summary>
    public IReadOnlyList<int> Layers { get; }
    /// <summary>1 + the largest expert index.</summary>
    public int ExpertCount { get; }
    /// <summary>Where the table came from.</summary>
    public string Source { get; }

    /// <summary>
    /// The table of pooled counts a1, a2 [L, E] over N1, N2 tokens (d = N − a). A layer no counted token was routed
    /// through (a dense layer of an interleaved model: no router, so every a is 0 while N &gt; 0) has no rows; with no
    /// tokens at all every layer keeps its rows.
    /// </summary>
    public static CountTable FromPooled(int layers, int experts, ReadOnlySpan<long> a1, ReadOnlySpan<long> a2, long n1, long n2, string source)
    {
        var rows = new List<ExpertCounts>(layers * experts);
        for (int l = 0; l < layers; l++)
        {
            long routed = 0;
            for (int e = 0; e < experts; e++) routed += a1[l * experts + e] + a2[l * experts + e];
            if (routed == 0 && n1 + n2 > 0) continue;
            for (int e = 0; e < experts; e++)
            {
                int i = l * experts + e;
                rows.Add(new ExpertCounts(l, e, a1[i], n1 - a1[i], a2[i], n2 - a2[i]));
            }
        }
        return new CountTable(rows, source);
    }

    /// <summary>Reads the counts out of any CSV that has the columns layer, expert, a1, d1, a2, d2 (others ignored).</summary>
    public static CountTable FromCsv(CsvTable csv)
    {
        var idx = RequiredColumns.Select(csv.ColumnIndex).ToArray();
        var rows = new List<ExpertCounts>(csv.Rows.Count);
        for (int r = 0; r < csv.Rows.Count; r++)
        {
            long layer = csv.Int64(r, idx[0]), expert = csv.Int64(r, idx[1]);
            if (layer is < 0 or > int.MaxValue || expert is < 0 or > int.MaxValue)
                throw new FormatException($"{csv.Source}: line {r + 2}: layer {layer}, expert {expert}: expected indices >= 0.");
            rows.Add(new ExpertCounts((int)layer, (int)expert, csv.Int64(r, idx[2]), csv.Int64(r, idx[3]), csv.Int64(r, idx[4]), csv.Int64(r, idx[5])));
        }
        return new CountTable(rows, csv.Source);
    }

    /// <summary>Loads a counts CSV from disk.</summary>
    public static CountTable Load(string path) => FromCsv(CsvTable.Load(path));

    /// <summary>The table as CSV with the required columns only.</summary>
    public CsvTable ToCsv() => new(RequiredColumns, Rows.Select(r => new[]
    {
        r.Layer.ToString(CultureInfo.InvariantCulture), r.Expert.ToString(CultureInfo.InvariantCulture),
        r.A1.ToString(CultureInfo.InvariantCulture), r.D1.ToString(CultureInfo.InvariantCulture),
        r.A2.ToString(CultureInfo.InvariantCulture), r.D2.ToString(CultureInfo.InvariantCulture),
    }).ToList(), Source);

    /// <summary>Writes counts.csv atomically.</summary>
    public void Save(string path) => ToCsv().Save(path);
}
