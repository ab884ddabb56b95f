using System.Text;
using SteerMoE.Research.Generation;
using SteerMoE.Research.Steering.Plans;
using DetectionRanking = SteerMoE.Research.Detection.Ranking.ExpertRanking;

namespace SteerMoE.Research.Catalogs;

/// <summary>
/// Options of <see cref="SteeringCatalog.Plan"/>, with the defaults of the authors' demo: activate the 4 experts
/// most linked to behaviour 1 by risk difference, deactivate none, at most k (the model's top-k) per layer.
/// </summary>
public sealed record PlanOptions
{
    /// <summary>Experts to force on (N).</summary>
    public int Activate { get; init; } = 4;
    /// <summary>Experts to force off (M).</summary>
    public int Deactivate { get; init; }
    /// <summary>Steer toward behaviour 2 (side <c>messages_1</c>) instead of behaviour 1: the scores' sign is flipped.</summary>
    public bool TowardBehaviour2 { get; init; }
    /// <summary>The selection strategy.</summary>
    public SelectionStrategy Strategy { get; init; } = SelectionStrategy.Authors;
    /// <summary>The metric id the ranking was read by (recorded in the plan's provenance).</summary>
    public string Metric { get; init; } = "rd";
    /// <summary>The strength λ of every selected expert (1: the paper's rewrite).</summary>
    public double Strength { get; init; } = 1.0;
    /// <summary>Activated experts per layer at most; null: the model's k.</summary>
    public int? Cap { get; init; }
}

/// <summary>One way to generate in a <see cref="GenerationComparison"/>: a label and a plan (null: unsteered).</summary>
/// <param name="Label">The name printed for it (e.g. "unsteered", "toward words").</param>
/// <param name="Plan">The steering plan, or null for the unsteered model.</param>
public sealed record SteeringVariant(string Label, SteeringPlan? Plan);

/// <summary>One prompt's output under one variant.</summary>
/// <param name="Prompt">The user message.</param>
/// <param name="Label">The variant's label.</param>
/// <param name="Output">The generated text (special tokens dropped).</param>
public sealed record ComparedGeneration(string Prompt, string Label, string Output);

/// <summary>What <see cref="SteeringCatalog.Compare"/> generated: every prompt under every variant.</summary>
/// <param name="Prompts">The prompts, in order.</param>
/// <param name="Labels">The variants' labels, in order.</param>
/// <param name="Rows">One row per (prompt, variant), prompt-major.</param>
public sealed record GenerationComparison(IReadOnlyList<string> Prompts, IReadOnlyList<string> Labels, IReadOnlyList<ComparedGeneration> Rows)
{
    /// <summary>The output of <paramref name="prompt"/> under the variant <paramref name="label"/>.</summary>
    public string Output(string prompt, string label) =>
        Rows.FirstOrDefault(r => r.Prompt == prompt && r.Label == label)?.Output
        ?? throw new ArgumentException($"no generation for prompt '{prompt}' under '{label}' (labels: {string.Join(", ", Labels)}).");

    /// <summary>The comparison as text: per prompt a line, then one indented line per variant (<c>  label: output</c>).</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        int width = Labels.Max(l => l.Length);
        foreach (string prompt in Prompts)
        {
            sb.Append("prompt: ").Append(prompt).Append('\n');
            foreach (string label in Labels) sb.Append("  ").Append((label + ":").PadRight(width + 1)).Append(' ').Append(Output(prompt, label)).Append('\n');
        }
        return sb.ToString();
    }
}

// Simple entry points for the examples and notebooks-style use: one call per step, defaults in options records.
public sealed partial class SteeringCatalog
{
    /// <summary>
    /// Selects a plan from <paramref name="ranking"/> for a model of shape <paramref name="model"/> (its k is the
    /// default per-layer cap): <see cref="SelectPlan"/> with a <see cref="PlanRequest"/> built from <paramref name="options"/>.
    /// </summary>
    public SteeringPlan Plan(ExpertRanking ranking, ModelShape model, PlanOptions? options = null)
    {
        options ??= new PlanOptions();
        var request = new PlanRequest(options.Activate, options.Deactivate, options.Cap ?? model.TopK)
        {
            Strategy = options.Strategy, Reverse = options.TowardBehaviour2, Metric = options.Metric, Strength = options.Strength,
        };
        return SelectPlan(ranking, request, model);
    }

    /// <summary>
    /// A ranking computed by the Detection catalog (<see cref="DetectionCatalog.Rank"/>), as the rows a plan is
    /// selected from, scored by the metric <paramref name="metric"/> (an id of docs/CONTRACTS.md §6 or a column name).
    /// </summary>
    public ExpertRanking RankingFrom(DetectionRanking ranking, string metric = "rd") =>
        ExpertRanking.FromCsv(ranking.ToCsv(), ExpertRanking.ColumnForMetric(metric));

    /// <summary>
    /// Generates from every prompt (a user message each) under every variant, greedy with
    /// <paramref name="settings"/>' other values (default: 32 new tokens, exact precision); each variant runs
    /// all prompts as one batch.
    /// </summary>
    public GenerationComparison Compare(SteeredGenerator generator, IReadOnlyList<string> prompts, IReadOnlyList<SteeringVariant> variants,
        GenerationSettings? settings = null)
    {
        if (prompts.Count == 0) throw new ArgumentException("compare: no prompts.");
        if (variants.Count == 0) throw new ArgumentException("compare: no variants; give at least one (label, plan), a null plan for the unsteered model.");
        var duplicate = variants.GroupBy(v => v.Label).FirstOrDefault(g => g.Count() > 1);
        if (duplicate != null) throw new ArgumentException($"compare: two variants are labelled '{duplicate.Key}'.");
        settings ??= new GenerationSettings();
        var batch = prompts.Select((p, i) => GenerationPrompt.User(p, $"prompt {i + 1}")).ToList();
        var outputs = variants.Select(v => generator.Generate(batch, v.Plan, settings, v.Label)).ToList();
        var rows = new List<ComparedGeneration>();
        for (int p = 0; p < prompts.Count; p++)
            for (int v = 0; v < variants.Count; v++)
                rows.Add(new ComparedGeneration(prompts[p], variants[v].Label, outputs[v][p].OutputText));
        return new GenerationComparison(prompts.ToList(), variants.Select(v => v.Label).ToList(), rows);
    }

    /// <summary>A plan in one line: <c>activate L1E5 L2E3; deactivate none</c> (layers and experts 0-based, λ shown when not 1).</summary>
    public static string Describe(SteeringPlan plan)
    {
        string List(bool activate)
        {
            var items = plan.Layers.OrderBy(kv => kv.Key)
                .SelectMany(kv => (activate ? kv.Value.Activate : kv.Value.Deactivate)
                    .Select(e => $"L{kv.Key}E{e.Expert}" + (e.Strength == 1.0 ? "" : $"(λ={e.Strength.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)})")))
                .ToList();
            return items.Count == 0 ? "none" : string.Join(' ', items);
        }
        return $"activate {List(true)}; deactivate {List(false)}";
    }
}
