using System.Globalization;
using System.Text.Json;
using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Evaluation;
using SteerMoE.Research.Generation;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Routing;
using SteerMoE.Research.Plots.Figures;
using SteerMoE.Research.Plots.Html;
using SteerMoE.Research.Running;
using SteerMoE.Research.Steering.Plans;

namespace SteerMoE.Research.Demo;

/// <summary>
/// The HTML report of a run folder (one experiment run, or a demo folder holding one run per behaviour): per
/// run its before/after table, the risk-difference heatmap with the steered experts of the first authors plan
/// marked, before/after bars per evaluator, and the token shading of one evaluation output (which needs the
/// run's model, named in its inputs.json). Written as report.html in the folder.
/// </summary>
public static class RunReport
{
    /// <summary>The run folders under <paramref name="directory"/>: itself when it holds registry.sqlite, else its subfolders that do.</summary>
    public static IReadOnlyList<string> RunFolders(string directory)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"{directory}: no such run folder.");
        if (File.Exists(Path.Combine(directory, "registry.sqlite"))) return [directory];
        var runs = Directory.EnumerateDirectories(directory).Where(d => File.Exists(Path.Combine(d, "registry.sqlite"))).Order(StringComparer.Ordinal).ToArray();
        if (runs.Length == 0) throw new FileNotFoundException($"{directory}: no registry.sqlite in it or its subfolders; expected a run folder of `steermoe experiment run` or `steermoe demo`.");
        return runs;
    }

    /// <summary>Writes <c>report.html</c> into <paramref name="directory"/> and returns its path.</summary>
    public static string Write(string directory, CsvTable? summary = null)
    {
        var report = new HtmlReport("SteerMoE run " + Path.GetFileName(Path.GetFullPath(directory).TrimEnd('/')));
        if (summary != null) report.AddTable(summary, "Before / steered / random control, per behaviour and direction (rates of the evaluators' outputs).", 200,
            keyColumns: 7);   // behaviour, direction, activate, deactivate, strength, seed, evaluator
        foreach (string run in RunFolders(directory)) AddRun(report, run);
        string path = Path.Combine(directory, "report.html");
        report.Save(path);
        return path;
    }

    private static void AddRun(HtmlReport report, string run)
    {
        string name = Path.GetFileName(run);
        report.AddHeading(name);
        var results = CsvTable.Load(Path.Combine(run, "results.csv"));
        // The cell's key spelt out in its columns (the key itself is too long a column to leave room for values).
        string[] cellColumns = ["metric", "strategy", "activate", "deactivate", "reverse", "strength", "seed"];
        string[] shown = [.. cellColumns, .. results.Columns.Where(c => c.EndsWith(".rate") || c.EndsWith(".mcnemar_p") || c.EndsWith(".mean") || c.StartsWith("p_first_token") || c == "kl_mean")];
        var idx = shown.Select(results.ColumnIndex).ToArray();
        report.AddTable(new CsvTable(shown, results.Rows.Select(r => idx.Select(i => r[i]).ToArray()).ToList(), "results"), $"{name}: every cell (results.csv).", 200,
            keyColumns: cellColumns.Length);

        int statusCol = results.ColumnIndex("status"), strategyCol = results.ColumnIndex("strategy");
        var done = results.Rows.Where(r => r[statusCol] == "done").ToArray();
        var baseline = done.FirstOrDefault(r => r[strategyCol] == "baseline");
        var rateColumns = results.Columns.Where(c => c.EndsWith(".rate")).ToArray();
        if (baseline != null && rateColumns.Length > 0)
        {
            var scores = done.Where(r => r[strategyCol] != "baseline").SelectMany(r => rateColumns.Select(c => new BenchmarkScore(
                $"{r[strategyCol]} a={r[results.ColumnIndex("activate")]} d={r[results.ColumnIndex("deactivate")]}{(r[results.ColumnIndex("reverse")] == "true" ? " rev" : "")}",
                c[..^".rate".Length], D(baseline[results.ColumnIndex(c)]), D(r[results.ColumnIndex(c)])))).Where(s => !double.IsNaN(s.Before) && !double.IsNaN(s.After)).ToList();
            if (scores.Count > 0) report.AddFigure(BeforeAfterBars.Create(scores, $"{name}: rates before and after steering"), "Unsteered (before) against each steered cell (after), per evaluator.");
        }

        string rankingPath = Directory.EnumerateFiles(run, "ranking.*.csv").Order(StringComparer.Ordinal).FirstOrDefault() ?? "";
        string? planPath = FirstAuthorsPlan(run);
        var plan = planPath is null ? null : SteeringPlan.Load(planPath);
        if (File.Exists(rankingPath))
        {
            var csv = CsvTable.Load(rankingPath);
            int l = csv.ColumnIndex("layer"), e = csv.ColumnIndex("expert"), rd = csv.ColumnIndex("risk_diff");
            var grid = ExpertScoreGrid.FromRows(name, Enumerable.Range(0, csv.Rows.Count).Select(r => ((int)csv.Int64(r, l), (int)csv.Int64(r, e), csv.Double(r, rd))));
            report.AddFigure(RiskDifferenceHeatmap.Create(grid, plan is null ? null : Cells(plan)), $"{name}: risk difference per layer and expert" + (plan is null ? "" : ", the experts of the first authors plan marked"));
        }
        if (plan != null) AddTokenShading(report, run, plan, name);
    }

    private static string? FirstAuthorsPlan(string run)
    {
        string cells = Path.Combine(run, "cells");
        if (!Directory.Exists(cells)) return null;
        return Directory.EnumerateDirectories(cells).Order(StringComparer.Ordinal).Where(d => Path.GetFileName(d).Contains("strategy=authors"))
            .Select(d => Path.Combine(d, "plan.json")).FirstOrDefault(File.Exists);
    }

    private static List<PlanCell> Cells(SteeringPlan plan) => plan.Layers.SelectMany(kv =>
        kv.Value.Activate.Select(x => new PlanCell(kv.Key, x.Expert, true)).Concat(kv.Value.Deactivate.Select(x => new PlanCell(kv.Key, x.Expert, false)))).ToList();

    /// <summary>Shades the tokens of the first evaluation prompt and its steered output by how many of the plan's experts each routes to (unsteered routing).</summary>
    private static void AddTokenShading(HtmlReport report, string run, SteeringPlan plan, string name)
    {
        string inputs = Path.Combine(run, SteeringExperimentExecutor.InputsFile);
        string outputs = Path.Combine(Path.GetDirectoryName(FirstAuthorsPlan(run)!)!, "outputs.jsonl");
        if (!File.Exists(inputs) || !File.Exists(outputs)) { report.AddParagraph($"{name}: no token shading ({SteeringExperimentExecutor.InputsFile} or outputs missing)."); return; }
        using var doc = JsonDocument.Parse(File.ReadAllText(inputs));
        string model = doc.RootElement.GetProperty("model").GetString()!;
        if (!Directory.Exists(model)) { report.AddParagraph($"{name}: no token shading: the run's model {model} is not on this machine."); return; }
        using var first = JsonDocument.Parse(File.ReadLines(outputs).First());
        string text = first.RootElement.GetProperty("prompt").GetString()! + " " + first.RootElement.GetProperty("output").GetString()!;
        using var generator = SteeredGenerator.Load(model);
        var encoding = generator.Tokenizer.Encode(text);
        var planned = Cells(plan).Select(c => (c.Layer, c.Expert)).ToHashSet();
        var counter = new PlanExpertCounter(planned, encoding.Count);
        generator.Model.Forward([encoding.Ids], new ForwardOptions { Observer = counter });
        int max = Math.Max(1, Math.Min(planned.Count, generator.Shape.TopK * generator.Shape.LayerCount));
        report.AddHtml(TokenShading.Create(encoding.Tokens.Select(t => t + " ").ToArray(), counter.Counts.Select(c => Math.Min(c, max)).ToArray(), max,
            $"{name}: tokens of an evaluation prompt and its steered output, shaded by how many of the plan's experts the unsteered router sends them to"));
    }

    /// <summary>Per token: how many (layer, expert) pairs of the plan are among its top-k.</summary>
    private sealed class PlanExpertCounter(HashSet<(int, int)> planned, int tokens) : IRoutingObserver
    {
        public readonly int[] Counts = new int[tokens];
        public void OnRouting(in RoutingBatch batch)
        {
            for (int t = 0; t < batch.TokenCount; t++)
                foreach (int e in batch.TopKIndex.Slice(t * batch.TopK, batch.TopK))
                    if (planned.Contains((batch.Layer, e))) Counts[batch.Position[t]]++;
        }
    }

    private static double D(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;
}
