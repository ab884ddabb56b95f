using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Architectures;

/// <summary>Mixtral (MixtralForCausalLM): softmax top-k renormalised, experts
/// "block_sparse_moe.experts.{e}.{w1,w3,w2}", router "block_sparse_moe.gate", optional sliding window on every layer.</summary>
public sealed class MixtralArchitecture : IArchitecture
{
    /// <inheritdoc />
    public string Name => "MixtralForCausalLM";

    /// <inheritdoc />
    public ModelConfig ReadConfig(ConfigReader r, ModelConfig c) => c with
    {
        ExpertCount = r.Int("num_local_experts"),
        ExpertIntermediateSize = r.Int("intermediate_size"),
        NormTopKProb = true,
        SlidingWindows = ModelConfig.WindowsFromLayerTypes(r, c.LayerCount, r.OptionalInt("sliding_window") ?? 0),
    };

    /// <inheritdoc />
    public INorm BuildNorm(string prefix, ModelConfig c, Checkpoint w) => LayerParts.Rms(w, prefix, c.HiddenSize, c.NormEps);

    /// <inheritdoc />
    public DecoderLayer BuildLayer(int l, ModelConfig c, Checkpoint w)
    {
        string p = $"model.layers.{l}";
        var moe = new MoeBlock(LayerParts.Linear(w, p + ".block_sparse_moe.gate", c.ExpertCount, c.HiddenSize),
            new SoftmaxTopKRouting(c.TopK, renormalize: true),
            LayerParts.PerExpertSwiGlu(w, p + ".block_sparse_moe", c.ExpertCount, c.HiddenSize, c.ExpertIntermediateSize, "w1", "w3", "w2"));
        return new DecoderLayer(BuildNorm(p + ".input_layernorm", c, w), LayerParts.SelfAttention(w, c, l, qkvBias: false),
            BuildNorm(p + ".post_attention_layernorm", c, w), moe);
    }
}
