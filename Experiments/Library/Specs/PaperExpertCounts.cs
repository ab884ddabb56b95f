using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Specs;

/// <summary>One row of the paper's expert counts (<see cref="PaperExpertCounts.Table"/>).</summary>
/// <param name="Model">The Hugging Face model id.</param>
/// <param name="Architecture">config.json's architecture.</param>
/// <param name="Layers">MoE layers.</param>
/// <param name="Experts">Experts per layer.</param>
/// <param name="Faithful">(activate, deactivate) for faithfulness.</param>
/// <param name="Safe">(activate, deactivate) for safety.</param>
/// <param name="Unsafe">(activate, deactivate) toward unsafe answers.</param>
public sealed record PaperCountsRow(string Model, string Architecture, int Layers, int Experts, (int, int) Faithful, (int, int) Safe, (int, int) Unsafe);

/// <summary>
/// The numbers of experts the SteerMoE paper activates / deactivates per model and goal (docs/design STEERMOE.md §3,
/// the authors' num_experts.jsonl). A model is recognised by its config's architecture and its layers x experts shape,
/// which tells the six released checkpoints apart.
/// </summary>
public static class PaperExpertCounts
{
    /// <summary>The goals: toward context faithfulness, toward safety (refusal), toward unsafe answers (side 2 of the safety pairs).</summary>
    public static readonly string[] Goals = ["faithful", "safe", "unsafe"];

    /// <summary>The paper's table.</summary>
    public static readonly IReadOnlyList<PaperCountsRow> Table =
    [
        new("openai/gpt-oss-120b", "GptOssForCausalLM", 36, 128, (5, 100), (5, 0), (0, 100)),
        new("openai/gpt-oss-20b", "GptOssForCausalLM", 24, 32, (10, 50), (5, 0), (0, 20)),
        new("mistralai/Mixtral-8x7B-Instruct-v0.1", "MixtralForCausalLM", 32, 8, (10, 100), (20, 0), (20, 0)),
        new("allenai/OLMoE-1B-7B-0125-Instruct", "OlmoeForCausalLM", 16, 64, (0, 50), (5, 0), (10, 125)),
        new("microsoft/Phi-3.5-MoE-instruct", "PhimoeForCausalLM", 32, 16, (10, 75), (5, 0), (5, 50)),
        new("Qwen/Qwen3-30B-A3B", "Qwen3MoeForCausalLM", 48, 128, (0, 500), (15, 0), (5, 480)),
    ];

    /// <summary>The row of a model config, or null when the paper did not run that model.</summary>
    public static PaperCountsRow? Find(ModelConfig config) =>
        Table.FirstOrDefault(r => r.Architecture == config.Architecture && r.Layers == config.LayerCount && r.Experts == config.ExpertCount);

    /// <summary>(activate, deactivate) of <paramref name="goal"/> for the model; an error naming the spec when the paper has no row for it.</summary>
    public static (int Activate, int Deactivate) For(ModelConfig config, string goal, string source)
    {
        var row = Find(config) ?? throw new FormatException(
            $"{source}: grid.paper: the paper gives no expert counts for {config.Architecture} with {config.LayerCount} layers x {config.ExpertCount} experts "
            + $"({config.Source}); it ran {string.Join(", ", Table.Select(r => $"{r.Model} ({r.Layers}x{r.Experts})"))}. Pass --activate N --deactivate M.");
        return goal switch
        {
            "faithful" => row.Faithful,
            "safe" => row.Safe,
            "unsafe" => row.Unsafe,
            _ => throw new ArgumentException($"{source}: grid.paper: '{goal}' is not one of {string.Join(", ", Goals)}."),
        };
    }
}
