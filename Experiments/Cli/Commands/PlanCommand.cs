using System.CommandLine;
using System.Globalization;
using SteerMoE.Research.Inference.Routing;
using SteerMoE.Research.Steering.Plans;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>`steermoe plan`: selects the experts to activate / deactivate from a ranking and writes PLAN.json.</summary>
internal static class PlanCommand
{
    public static Command Create()
    {
        var ranking = new Option<string>("--ranking") { Description = "a ranking CSV: columns layer, expert and the metric's column", Required = true };
        var activate = new Option<int>("--activate") { Description = "N: experts to activate (per layer with --strategy per-layer)", DefaultValueFactory = _ => 0 };
        var deactivate = new Option<int>("--deactivate") { Description = "M: experts to deactivate (per layer with --strategy per-layer)", DefaultValueFactory = _ => 0 };
        var reverse = new Option<bool>("--reverse") { Description = "flip the score's sign first: steer toward behaviour 2 (messages_1)" };
        var metric = new Option<string>("--metric") { Description = "rd (risk_diff), log-or (log_odds_ratio), probe (probe_weight, from rank --metric probe) or any column of the ranking", DefaultValueFactory = _ => "rd" };
        var strategy = new Option<string>("--strategy") { Description = "authors | per-layer | significant | bottom | random", DefaultValueFactory = _ => "authors" };
        var cap = new Option<int?>("--cap") { Description = "K: at most K activations per layer (the model's num_experts_per_tok)" };
        var model = new Option<string?>("--model") { Description = "a Hugging Face model folder: k, layers and experts from its config.json; the plan is checked against it" };
        var qColumn = new Option<string>("--q-column") { Description = "the q-value column of --strategy significant", DefaultValueFactory = _ => "fisher_q" };
        var qBelow = new Option<double>("--q-below") { Description = "keep rows whose q-value is below this level (--strategy significant)", DefaultValueFactory = _ => 0.05 };
        var strength = new Option<double>("--strength") { Description = "λ in [0, 1] for every selected expert (1 = the paper's rewrite)", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<int>("--seed") { Description = "the context seed (random control)", DefaultValueFactory = _ => 0 };
        var cell = new Option<string?>("--cell") { Description = "the cell name that goes into the random control's stream name" };
        var target = new Option<string>("--rewrite-target")
        {
            Description = "for routers that select on another score than the logits (DeepSeek, GLM-4.5, Llama 4): selection-score (the rewrite sits on "
                + "the score the top-k ranks; the model's own weights) or router-logits (on the raw logits, the routing scoring the rewritten values: the authors' hook position)",
            DefaultValueFactory = _ => "selection-score",
        };
        var output = new Option<string>("--out") { Description = "PLAN.json to write (atomically)", Required = true };
        var command = new Command("plan", "Select experts to activate and deactivate from a ranking (the authors' selection, or a variant or control) and write PLAN.json.")
            { ranking, activate, deactivate, reverse, metric, strategy, cap, model, qColumn, qBelow, strength, seed, cell, target, output };
        command.SetAction(result =>
        {
            var context = new SteerMoEContext(result.GetValue(seed));
            var chosen = SelectionStrategies.Parse(result.GetValue(strategy)!);
            string? modelDir = result.GetValue(model);
            ModelShape? shape = modelDir is null ? null : context.Steering.ReadModelShape(modelDir);
            int k = result.GetValue(cap) ?? shape?.TopK
                ?? throw new ArgumentException("plan: give --cap K (activations per layer) or --model DIR (k from its config.json).");
            var table = context.Steering.LoadRanking(CommandRunner.Required(result, ranking), result.GetValue(metric)!,
                chosen == SelectionStrategy.Significant ? result.GetValue(qColumn) : null);
            var request = new PlanRequest(result.GetValue(activate), result.GetValue(deactivate), k)
            {
                Strategy = chosen, Reverse = result.GetValue(reverse), Metric = result.GetValue(metric)!,
                SignificanceLevel = result.GetValue(qBelow), Strength = result.GetValue(strength),
                Target = RewriteTargetIds.Parse(result.GetValue(target), "--rewrite-target"),
            };
            var plan = context.Steering.SelectPlan(table, request, shape, result.GetValue(cell));
            string path = CommandRunner.Required(result, output);
            plan.Save(path);
            var p = plan.Provenance!;
            Console.WriteLine($"{path}: {p.Strategy} on '{p.Column}'{(p.Reverse ? " (reversed)" : "")}: activate {p.ActivateApplied} of {p.ActivateRequested} asked " +
                              $"({p.ActivateDroppedByCap} dropped by the cap of {p.Cap} per layer), deactivate {p.DeactivateApplied} of {p.DeactivateRequested} asked" +
                              (p.CountScope == "per-layer" ? " (counts per layer)" : "") + (p.RandomStream is null ? "" : $", stream {p.RandomStream}, seed {p.Seed}"));
            foreach (var (layer, sets) in plan.Layers)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  layer {layer,3}: activate {sets.Activate.Count,2} [{string.Join(' ', sets.Activate.Select(e => e.Expert))}]  deactivate {sets.Deactivate.Count,3} [{string.Join(' ', sets.Deactivate.Select(e => e.Expert))}]"));
            return 0;
        });
        return command;
    }
}
