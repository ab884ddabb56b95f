using SteerMoE.Research.Data.Files;
using SteerMoE.Research.Data.Tables;

namespace SteerMoE.Research.Steering.Plans;

/// <summary>One (layer, expert) row of a ranking: its score (positive = linked to behaviour 1) and, when the
/// ranking has the chosen significance column, its q-value (NaN otherwise).</summary>
public readonly record struct RankedExpert(int Layer, int Expert, double Score, double Q = double.NaN);

/// <summary>
/// The rows a plan is selected from: any table with columns <c>layer</c>, <c>expert</c> and a score column
/// (docs/CONTRACTS.md §5.4, §6; the authors' released tables qualify). Rows are kept in file order; the
/// selection strategies impose their own order.
/// </summary>
public sealed class ExpertRanking
{
    /// <summary>Metric ids of docs/CONTRACTS.md §6 and the ranking columns they name.</summary>
    public static readonly IReadOnlyDictionary<string, string> MetricColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["rd"] = "risk_diff",
        ["log-or"] = "log_odds_ratio",
        ["probe"] = "probe_weight",   // positive = the expert's share predicts side 1, as RD > 0
    };

    /// <summary>Builds a ranking; (layer, expert) must be unique, indices >= 0, scores not NaN.</summary>
    public ExpertRanking(IEnumerable<RankedExpert> rows, string scoreColumn, string source = "ranking", string? sha256 = null, string? qColumn = null)
    {
        Rows = rows.ToArray();
        ScoreColumn = scoreColumn; Source = source; Sha256 = sha256; QColumn = qColumn;
        if (Rows.Count == 0) throw new FormatException($"{source}: the ranking has no rows.");
        var seen = new HashSet<(int, int)>();
        foreach (var r in Rows)
        {
            if (r.Layer < 0 || r.Expert < 0) throw new FormatException($"{source}: layer {r.Layer}, expert {r.Expert}: indices must be >= 0.");
            if (double.IsNaN(r.Score)) throw new FormatException($"{source}: layer {r.Layer}, expert {r.Expert}: column '{scoreColumn}' is nan; a ranking needs a score for every expert.");
            if (!seen.Add((r.Layer, r.Expert))) throw new FormatException($"{source}: layer {r.Layer}, expert {r.Expert} appears twice.");
        }
        LayerCount = Rows.Max(r => r.Layer) + 1;
        ExpertCount = Rows.Max(r => r.Expert) + 1;
    }

    /// <summary>The rows, in the order given.</summary>
    public IReadOnlyList<RankedExpert> Rows { get; }
    /// <summary>The column the scores were read from (e.g. <c>risk_diff</c>).</summary>
    public string ScoreColumn { get; }
    /// <summary>The significance column read into <see cref="RankedExpert.Q"/>, or null.</summary>
    public string? QColumn { get; }
    /// <summary>Where the ranking came from, used in errors and provenance.</summary>
    public string Source { get; }
    /// <summary>Lower-case hex SHA-256 of the ranking file, when it was read from one.</summary>
    public string? Sha256 { get; }
    /// <summary>1 + the largest layer index present.</summary>
    public int LayerCount { get; }
    /// <summary>1 + the largest expert index present.</summary>
    public int ExpertCount { get; }

    /// <summary>Maps a metric id (<c>rd</c>, <c>log-or</c>, <c>probe</c>) to its column; any other text is taken as a column name.</summary>
    public static string ColumnForMetric(string metric) =>
        MetricColumns.TryGetValue(metric, out var column) ? column : metric;

    /// <summary>
    /// Reads a ranking CSV: <paramref name="scoreColumn"/> as the score and, when given,
    /// <paramref name="qColumn"/> as the significance column. Errors name the file, line and column.
    /// </summary>
    public static ExpertRanking Load(string path, string scoreColumn, string? qColumn = null)
    {
        var table = CsvTable.Load(path);
        return FromCsv(table, scoreColumn, qColumn, FileHash.Sha256(path));
    }

    /// <summary>Builds a ranking from a parsed table (see <see cref="Load"/>).</summary>
    public static ExpertRanking FromCsv(CsvTable table, string scoreColumn, string? qColumn = null, string? sha256 = null)
    {
        int layer = table.ColumnIndex("layer"), expert = table.ColumnIndex("expert"), score = table.ColumnIndex(scoreColumn);
        int q = qColumn == null ? -1 : table.ColumnIndex(qColumn);
        var rows = new RankedExpert[table.Rows.Count];
        for (int r = 0; r < rows.Length; r++)
        {
            long l = table.Int64(r, layer), e = table.Int64(r, expert);
            if (l is < 0 or > int.MaxValue || e is < 0 or > int.MaxValue)
                throw new FormatException($"{table.Source}: line {r + 2}: layer {l}, expert {e}: expected indices >= 0.");
            if (table.Text(r, score).Trim().Length == 0)
                throw new FormatException($"{table.Source}: line {r + 2}, column '{scoreColumn}': empty (not computed for this ranking)" +
                    (scoreColumn == "probe_weight" ? "; write the ranking with `rank --metric probe --pair-counts RUN_DIR/pair_counts.npy`." : "."));
            double s = table.Double(r, score);
            if (double.IsNaN(s)) throw new FormatException($"{table.Source}: line {r + 2}, column '{scoreColumn}': nan; a ranking needs a score for every expert.");
            double qv = double.NaN;
            if (q >= 0)
            {
                qv = table.Double(r, q);
                if (!(qv >= 0 && qv <= 1)) throw new FormatException($"{table.Source}: line {r + 2}, column '{qColumn}': {table.Text(r, q)} is not a q-value in [0, 1].");
            }
            rows[r] = new RankedExpert((int)l, (int)e, s, qv);
        }
        return new ExpertRanking(rows, scoreColumn, table.Source, sha256, qColumn);
    }
}
