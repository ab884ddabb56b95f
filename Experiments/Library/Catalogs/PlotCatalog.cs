using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Detection.Statistics;
using SteerMoE.Research.Inference.Routing;
using SteerMoE.Research.Plots;
using SteerMoE.Research.Plots.Figures;
using SteerMoE.Research.Plots.Html;

namespace SteerMoE.Research.Catalogs;

/// <summary>
/// One count or ranking table prepared for the figures: its counts and every metric column as plain arrays
/// (one value per row, rows sorted by layer, then expert). risk_diff and log_odds_ratio are always present:
/// read from a ranking table when it has them, computed from the counts otherwise (Detection's
/// ContingencyMeasures: RiskDifference, LogOddsRatioHaldane).
/// </summary>
/// <param name="Label">The name shown in titles and legends (LABEL= of the option, or the file name).</param>
/// <param name="Counts">The count table.</param>
/// <param name="Metrics">Metric column → one value per row of <paramref name="Counts"/>.</param>
public sealed record PlotInput(string Label, CountTable Counts, IReadOnlyDictionary<string, double[]> Metrics)
{
    /// <summary>A metric as a [layer, expert] grid (NaN where the table has no row).</summary>
    public ExpertScoreGrid Grid(string metric) =>
        ExpertScoreGrid.FromRows(Label, Counts.Rows.Select((r, i) => (r.Layer, r.Expert, Metric(metric)[i])));

    /// <summary>The values of a metric column; throws naming the columns there are.</summary>
    public double[] Metric(string name) => Metrics.TryGetValue(name, out var v) ? v
        : throw new ArgumentException($"{Counts.Source}: no metric column '{name}' (metrics: {string.Join(", ", Metrics.Keys)}).");
}

/// <summary>The <c>Plots</c> catalog of a <see cref="SteerMoEContext"/>: figures from count and ranking tables, and the HTML report.</summary>
public sealed partial class PlotCatalog
{
    private readonly SteerMoEContext _context;

    internal PlotCatalog(SteerMoEContext context) => _context = context;

    /// <summary>The column names of the two measures every input has (docs/CONTRACTS.md §6).</summary>
    public const string RiskDifferenceColumn = "risk_diff", LogOddsRatioColumn = "log_odds_ratio";

    /// <summary>
    /// Reads a "[LABEL=]FILE" input: a counts CSV (<paramref name="isRanking"/> false) or a ranking CSV (counts
    /// columns plus metric columns). Every numeric column that is not a count becomes a metric.
    /// </summary>
    public PlotInput LoadInput(string spec, bool isRanking)
    {
        var (label, path) = SplitLabel(spec);
        var csv = CsvTable.Load(path);
        var counts = CountTable.FromCsv(csv);
        var metrics = new Dictionary<string, double[]>(StringComparer.Ordinal);
        if (isRanking)
        {
            // Counts are re-sorted by layer, expert; metric values follow their rows.
            var order = Enumerable.Range(0, csv.Rows.Count)
                .OrderBy(r => csv.Int64(r, csv.ColumnIndex("layer"))).ThenBy(r => csv.Int64(r, csv.ColumnIndex("expert"))).ToArray();
            foreach (string column in csv.Columns.Where(c => !CountTable.RequiredColumns.Contains(c)))
            {
                int ci = csv.ColumnIndex(column);
                if (!csv.Rows.All(row => IsNumber(row[ci]))) continue; // text columns (e.g. a model name) are not metrics
                metrics[column] = order.Select(r => csv.Double(r, ci)).ToArray();
            }
        }
        return WithMeasures(label, counts, metrics);
    }

    /// <summary>A count table already in memory as a figure input (risk difference and log odds ratio computed from its counts).</summary>
    public PlotInput Input(string label, CountTable counts) => WithMeasures(label, counts, new Dictionary<string, double[]>(StringComparer.Ordinal));

    private static PlotInput WithMeasures(string label, CountTable counts, Dictionary<string, double[]> metrics)
    {
        metrics.TryAdd(RiskDifferenceColumn, counts.Rows.Select(r => ContingencyMeasures.RiskDifference(r.A1, r.D1, r.A2, r.D2)).ToArray());
        metrics.TryAdd(LogOddsRatioColumn, counts.Rows.Select(r => ContingencyMeasures.LogOddsRatioHaldane(r.A1, r.D1, r.A2, r.D2)).ToArray());
        return new PlotInput(label, counts, metrics);
    }

    private static bool IsNumber(string cell)
    {
        string s = cell.Trim().ToLowerInvariant();
        return s is "nan" or "inf" or "-inf" or "+inf" or "infinity" or "-infinity"
            || double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _);
    }

    /// <summary>Splits "LABEL=FILE" (a label has no path separator); a bare FILE is labelled by its file name.</summary>
    public static (string Label, string Path) SplitLabel(string spec)
    {
        int eq = spec.IndexOf('=');
        if (eq > 0 && spec.IndexOfAny(['/', '\\'], 0, eq) < 0)
        {
            string label = spec[..eq].Trim(), path = spec[(eq + 1)..];
            if (path.Length == 0) throw new ArgumentException($"'{spec}': no file after '{label}='; expected LABEL=FILE.");
            return (label, path);
        }
        string name = Path.GetFileNameWithoutExtension(spec);
        foreach (string suffix in new[] { ".counts", ".ranking" })
            if (name.EndsWith(suffix, StringComparison.Ordinal) && name.Length > suffix.Length) name = name[..^suffix.Length];
        return (name.Length > 0 ? name : spec, spec);
    }

    /// <summary>The steered experts of a PLAN.json (docs/CONTRACTS.md §5.2), for marking figures.</summary>
    public IReadOnlyList<PlanCell> LoadPlan(string path) => PlanCells(SteeringMask.Load(path));

    /// <summary>The steered experts of a plan's mask (<c>SteeringPlan.Mask</c>), for marking figures.</summary>
    public IReadOnlyList<PlanCell> PlanCells(SteeringMask mask)
    {
        return mask.Layers.SelectMany(kv => kv.Value.Activate.Select(e => new PlanCell(kv.Key, e.Expert, true))
            .Concat(kv.Value.Deactivate.Select(e => new PlanCell(kv.Key, e.Expert, false)))).ToList();
    }

    /// <summary>
    /// Writes the figures the inputs support into <paramref name="outDir"/>: per input the risk-difference
    /// heatmap (plan marked when given) and the metric scatter (<paramref name="scatterX"/> vs
    /// <paramref name="scatterY"/>, coloured by min(a1, a2) + 1); across inputs the top-N-per-layer bars; SVG
    /// always, PNG too when <paramref name="png"/>; and figures.html with every figure inlined. Returns the
    /// paths written.
    /// </summary>
    public IReadOnlyList<string> WriteFigures(IReadOnlyList<PlotInput> inputs, IReadOnlyList<PlanCell>? plan, string outDir,
        bool png, int topN = 50, string scatterX = RiskDifferenceColumn, string scatterY = LogOddsRatioColumn, string planSource = "plan")
    {
        if (inputs.Count == 0) throw new ArgumentException("plot: no inputs; give at least one --counts or --ranking table.");
        var duplicate = inputs.GroupBy(i => FileLabel(i.Label)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new ArgumentException($"plot: two inputs are labelled '{duplicate.Key}'; give each its own label with LABEL=FILE.");
        foreach (var input in inputs)
            foreach (var c in plan ?? [])
                if (c.Layer >= input.Counts.LayerCount || c.Expert >= input.Counts.ExpertCount)
                    throw new ArgumentException($"{planSource}: layer {c.Layer}, expert {c.Expert} is steered, but {input.Counts.Source} has layers 0..{input.Counts.LayerCount - 1} and experts 0..{input.Counts.ExpertCount - 1}.");
                else if (!input.Counts.Layers.Contains(c.Layer))
                    throw new ArgumentException($"{planSource}: layer {c.Layer}, expert {c.Expert} is steered, but {input.Counts.Source} has no rows for layer {c.Layer} (a dense layer); its layers are {string.Join(", ", input.Counts.Layers)}.");
        var written = new List<string>();
        var report = new HtmlReport("SteerMoE figures");
        void Save(Figure figure, string name, string caption)
        {
            string svg = Path.Combine(outDir, name + ".svg");
            figure.SaveSvg(svg); written.Add(svg);
            if (png) { string p = Path.Combine(outDir, name + ".png"); figure.SavePng(p); written.Add(p); }
            report.AddFigure(figure, caption);
        }
        foreach (var input in inputs)
        {
            string tag = FileLabel(input.Label);
            Save(RiskDifferenceHeatmap.Create(input.Grid(RiskDifferenceColumn), plan), $"rd-heatmap.{tag}",
                $"{input.Label}: risk difference per layer and expert" + (plan is { Count: > 0 } ? ", steered experts of the plan marked" : ""));
            var size = input.Counts.Rows.Select(r => (double)Math.Min(r.A1, r.A2) + 1).ToArray();
            Save(MetricScatter.Create(input.Metric(scatterX), input.Metric(scatterY), size, scatterX, scatterY, "min(a1, a2) + 1 (log)",
                $"{input.Label}: {scatterX} vs {scatterY}"), $"scatter.{tag}.{FileLabel(scatterX)}-vs-{FileLabel(scatterY)}",
                $"{input.Label}: {scatterX} against {scatterY}, one point per expert, coloured by the smaller activation count");
        }
        // An input with fewer than N scores of a sign simply contributes all of them.
        Save(TopExpertsPerLayer.Create(inputs.Select(i => i.Grid(RiskDifferenceColumn)).ToList(), topN), "top-experts-per-layer",
            $"Layers of the top {topN} experts by risk difference, per input");
        string html = Path.Combine(outDir, "figures.html");
        report.Save(html); written.Add(html);
        return written;
    }

    /// <summary>A label made safe for a file name (letters, digits, '.', '-', '_').</summary>
    public static string FileLabel(string label) =>
        new(label.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray());
}

// Run reports (docs/CONTRACTS.md §15).
public sealed partial class PlotCatalog
{
    /// <summary>Writes report.html of a run folder (an experiment run or a demo folder); returns its path.</summary>
    public string WriteRunReport(string runDirectory, CsvTable? summary = null) => Demo.RunReport.Write(runDirectory, summary);
}
