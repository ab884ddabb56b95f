using System.Globalization;
using System.Text;
using SteerMoE.Research.Data.Files;
using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Registry;
using SteerMoE.Research.Specs;

namespace SteerMoE.Research.Reports;

/// <summary>
/// The paper's table of a run (docs/CONTRACTS.md §17): per benchmark and scorer, the off-the-shelf rate, the steered
/// rate of each authors cell, their paired difference with Newcombe's 95% interval and McNemar's p, and the random
/// control of the same counts. Written as paper_table.csv (every number) and paper_table.md (the paper's layout, in %).
/// </summary>
public static class PaperTable
{
    /// <summary>The CSV file name in a run folder.</summary>
    public const string CsvFile = "paper_table.csv";
    /// <summary>The Markdown file name in a run folder.</summary>
    public const string MarkdownFile = "paper_table.md";

    /// <summary>The CSV columns.</summary>
    public static readonly string[] Columns =
    [
        "benchmark", "scorer", "metric", "activate", "deactivate", "reverse", "strength", "seed", "n",
        "off_the_shelf", "off_the_shelf_low", "off_the_shelf_high", "steered", "steered_low", "steered_high",
        "difference", "difference_low", "difference_high", "mcnemar_p", "random", "random_difference", "random_mcnemar_p",
    ];

    /// <summary>Builds the table from a run's cells (done cells only); rows in the order of the cells, then of the benchmarks' columns.</summary>
    public static CsvTable Build(IReadOnlyList<CellRecord> cells)
    {
        var done = cells.Where(c => c.Status == CellStatus.Done).ToArray();
        var rows = new List<string[]>();
        foreach (var steered in done.Where(c => c.Cell.Strategy != ExperimentCell.Baseline && c.Cell.Strategy != "random"))
        {
            var baseline = done.FirstOrDefault(c => c.Cell.IsBaseline && c.Cell.Seed == steered.Cell.Seed);
            if (baseline == null) continue;
            var random = done.FirstOrDefault(c => c.Cell.Strategy == "random" && c.Cell with { Strategy = steered.Cell.Strategy } == steered.Cell);
            // Every "{benchmark}.{scorer}." (or "{scorer}.") group with a rate or a mean in the baseline cell, in column order.
            foreach (string key in baseline.Metrics.Keys.Where(k => k.EndsWith(".rate", StringComparison.Ordinal) || k.EndsWith(".mean", StringComparison.Ordinal)))
            {
                string group = key[..key.LastIndexOf('.')];
                bool rate = key.EndsWith(".rate", StringComparison.Ordinal);
                int dot = group.IndexOf('.');
                string benchmark = dot < 0 ? "" : group[..dot], scorer = dot < 0 ? group : group[(dot + 1)..];
                string M(CellRecord? c, string statistic) => c != null && c.Metrics.TryGetValue($"{group}.{statistic}", out double v) ? CsvTable.Format(v) : "";
                string value = rate ? "rate" : "mean";
                rows.Add(
                [
                    benchmark, scorer, steered.Cell.Strategy == "authors" ? steered.Cell.Metric : $"{steered.Cell.Metric} ({steered.Cell.Strategy})",
                    I(steered.Cell.Activate), I(steered.Cell.Deactivate), steered.Cell.Reverse ? "true" : "false", CsvTable.Format(steered.Cell.Strength), I(steered.Cell.Seed),
                    M(steered, "n"), M(baseline, value), M(baseline, "low"), M(baseline, "high"), M(steered, value), M(steered, "low"), M(steered, "high"),
                    M(steered, "diff"), M(steered, "diff_low"), M(steered, "diff_high"), M(steered, "mcnemar_p"),
                    M(random, value), M(random, "diff"), M(random, "mcnemar_p"),
                ]);
            }
        }
        return new CsvTable(Columns, rows, CsvFile);
    }

    /// <summary>The table in the paper's layout: rates in %, the difference with its interval, p, the random control's difference.</summary>
    public static string Markdown(CsvTable table, string title)
    {
        var md = new StringBuilder();
        md.Append("# ").Append(title).Append("\n\n");
        md.Append("| benchmark | scorer | steering | n | off-the-shelf | steered | difference [95% CI] | p (McNemar) | random control | random difference |\n");
        md.Append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (var row in table.Rows)
        {
            string Col(string name) => row[table.ColumnIndex(name)];
            bool rate = Col("steered_low").Length > 0;
            string P(string name) => Number(Col(name), rate ? 100 : 1);
            string steering = $"{Col("metric")} +{Col("activate")}/−{Col("deactivate")}{(Col("reverse") == "true" ? " reversed" : "")}";
            string difference = Col("difference").Length == 0 ? "" : $"{Signed(Col("difference"))} [{Signed(Col("difference_low"))}, {Signed(Col("difference_high"))}]";
            md.Append($"| {(Col("benchmark").Length == 0 ? "—" : Col("benchmark"))} | {Col("scorer")} | {steering} | {Col("n")} | {P("off_the_shelf")} | {P("steered")} | {difference} | {PValue(Col("mcnemar_p"))} | {P("random")} | {Signed(Col("random_difference"))} |\n");
        }
        if (table.Rows.Count == 0) md.Append("\n(no steered cell has finished yet: the table compares steered cells with the off-the-shelf model)\n");
        md.Append("\nRates in %; difference = steered − off-the-shelf on the same prompts (percentage points) with Newcombe's paired 95% interval; ");
        md.Append("p: McNemar's test of the paired outcomes; random control: the same numbers of experts drawn at random.\n");
        return md.ToString();
    }

    /// <summary>Writes paper_table.csv and paper_table.md into the run folder (atomically); returns the Markdown.</summary>
    public static string Write(IReadOnlyList<CellRecord> cells, string runDirectory, string title)
    {
        var table = Build(cells);
        table.Save(Path.Combine(runDirectory, CsvFile));
        string md = Markdown(table, title);
        AtomicFile.WriteAllText(Path.Combine(runDirectory, MarkdownFile), md);
        return md;
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Number(string text, double scale) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && !double.IsNaN(v)
            ? (v * scale).ToString(scale == 100 ? "F1" : "F2", CultureInfo.InvariantCulture) : "";

    private static string Signed(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && !double.IsNaN(v)
            ? (v >= 0 ? "+" : "−") + Math.Abs(v * 100).ToString("F1", CultureInfo.InvariantCulture) : "";

    private static string PValue(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double p) && !double.IsNaN(p)
            ? p < 0.001 ? "<0.001" : p.ToString("F3", CultureInfo.InvariantCulture) : "";
}
