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
    public string ModelType => "mixtral";

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
        var moe = LayerParts.GatedSwiGluMoe(w, c, p + ".block_sparse_moe", new SoftmaxTopKRouting(c.TopK, renormalize: true), "w1", "w3", "w2");
        return LayerParts.Decoder(this, w, c, l, LayerParts.SelfAttention(w, c, l, qkvBias: false), moe);
    }
}
