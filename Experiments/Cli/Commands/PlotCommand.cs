using System.CommandLine;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>
/// `steermoe plot (--counts [LABEL=]FILE | --ranking [LABEL=]FILE)... [--plan PLAN.json] --out DIR`: writes the
/// figures the inputs support (risk-difference heatmaps, metric scatters, top experts per layer) as SVG, PNG
/// with --png, and figures.html.
/// </summary>
internal static class PlotCommand
{
    public static Command Create()
    {
        var counts = new Option<string[]>("--counts") { Description = "[LABEL=]COUNTS.csv (repeatable): columns layer, expert, a1, d1, a2, d2" };
        var ranking = new Option<string[]>("--ranking") { Description = "[LABEL=]RANKING.csv (repeatable): counts columns plus metric columns (risk_diff, log_odds_ratio, ...)" };
        var plan = new Option<string?>("--plan", "--steering") { Description = "PLAN.json: its steered experts are marked on the heatmaps" };
        var output = new Option<string>("--out") { Description = "output folder", Required = true };
        var png = new Option<bool>("--png") { Description = "also write PNGs (192 dpi)" };
        var top = new Option<int>("--top") { Description = "N of the top-N-experts-per-layer figure", DefaultValueFactory = _ => 50 };
        var pair = new Option<string>("--scatter") { Description = "the scatter's metric pair X,Y (column names)", DefaultValueFactory = _ => "risk_diff,log_odds_ratio" };
        var command = new Command("plot", "Draw the figures of one or more count or ranking tables.") { counts, ranking, plan, output, png, top, pair };
        command.SetAction(result =>
        {
            var context = new SteerMoEContext();
            // Counts tables first, then rankings, each in command-line order (the legend order of the side-by-side figure).
            var specs = (result.GetValue(counts) ?? []).Select(s => (Spec: s, IsRanking: false))
                .Concat((result.GetValue(ranking) ?? []).Select(s => (Spec: s, IsRanking: true))).ToList();
            if (specs.Count == 0) throw new ArgumentException("plot: give at least one --counts or --ranking table.");
            var metrics = CommandRunner.Required(result, pair).Split(',', StringSplitOptions.TrimEntries);
            if (metrics.Length != 2 || metrics.Any(m => m.Length == 0)) throw new ArgumentException($"--scatter '{result.GetValue(pair)}': expected two column names X,Y.");
            var inputs = specs.Select(s => context.Plots.LoadInput(s.Spec, s.IsRanking)).ToList();
            string? planPath = result.GetValue(plan);
            var planCells = planPath != null ? context.Plots.LoadPlan(planPath) : null;
            var written = context.Plots.WriteFigures(inputs, planCells, CommandRunner.Required(result, output), result.GetValue(png),
                result.GetValue(top), metrics[0], metrics[1], planPath ?? "plan");
            foreach (string path in written) Console.WriteLine(path);
            return 0;
        });
        return command;
    }
}
