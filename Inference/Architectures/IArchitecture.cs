using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Architectures;

/// <summary>
/// One supported Hugging Face architecture: reads its own config.json fields and builds its decoder from
/// the shared pieces of Inference/Layers over the checkpoint's tensors (hub names).
/// </summary>
public interface IArchitecture
{
    /// <summary>The Hugging Face class name in config.json's <c>architectures</c>.</summary>
    string Name { get; }
    /// <summary>The <c>model_type</c> transformers writes for it (a config naming another is refused).</summary>
    string ModelType { get; }
    /// <summary>Completes the common config with this architecture's fields.</summary>
    ModelConfig ReadConfig(ConfigReader config, ModelConfig common);
    /// <summary>Builds decoder layer <paramref name="layer"/>.</summary>
    DecoderLayer BuildLayer(int layer, ModelConfig config, Checkpoint weights);
    /// <summary>Builds a norm (the final norm uses prefix "model.norm").</summary>
    INorm BuildNorm(string prefix, ModelConfig config, Checkpoint weights);
    /// <summary>
    /// The config.json object that holds the language model's fields when they are nested (multimodal wrappers: Llama 4's
    /// "text_config"), or null when they are top-level.
    /// </summary>
    string? TextConfigField => null;
    /// <summary>The prefix of the language model's tensor names in the checkpoint ("language_model." for Llama 4's
    /// multimodal checkpoints); the architecture names tensors without it ("model.layers.0...", "lm_head.weight").</summary>
    string TensorPrefix => "";
}

/// <summary>The supported architectures, by their Hugging Face class names.</summary>
public static class ArchitectureRegistry
{
    private static readonly IArchitecture[] All =
    [
        new OlmoeArchitecture(), new MixtralArchitecture(), new Qwen2MoeArchitecture(),
        new Qwen3MoeArchitecture(), new PhimoeArchitecture(), new GptOssArchitecture(), new LlamaArchitecture(),
        new DeepseekV2Architecture(), new DeepseekV3Architecture(), new Glm4MoeArchitecture(),
        new GraniteMoeArchitecture(), new Llama4Architecture(multimodal: true), new Llama4Architecture(multimodal: false),
    ];

    /// <summary>The supported class names.</summary>
    public static IReadOnlyList<string> Names => All.Select(a => a.Name).ToList();

    /// <summary>The architecture of a class name, or null.</summary>
    public static IArchitecture? Find(string name) => All.FirstOrDefault(a => a.Name == name);

    /// <summary>The architecture of a config.</summary>
    public static IArchitecture Get(ModelConfig config) => Find(config.Architecture)
        ?? throw new NotSupportedException($"{config.Source}: architecture '{config.Architecture}' is not supported; supported: {string.Join(", ", Names)}.");
}
