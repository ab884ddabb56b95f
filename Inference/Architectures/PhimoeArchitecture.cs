using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Architectures;

/// <summary>Phi-3.5-MoE (PhimoeForCausalLM): LayerNorm with bias, sparsemixer routing (ε = router_jitter_noise),
/// experts "block_sparse_moe.experts.{e}.{w1,w3,w2}", long-rope, optional lm_head bias.</summary>
public sealed class PhimoeArchitecture : IArchitecture
{
    /// <inheritdoc />
    public string Name => "PhimoeForCausalLM";
    /// <inheritdoc />
    public string ModelType => "phimoe";

    /// <inheritdoc />
    public ModelConfig ReadConfig(ConfigReader r, ModelConfig c)
    {
        r.Ignore("lm_head_bias");   // the model applies lm_head.bias exactly when the checkpoint holds that tensor
        return c with
        {
            ExpertCount = r.Int("num_local_experts"),
            ExpertIntermediateSize = r.Int("intermediate_size"),
            RouterJitter = r.Double("router_jitter_noise"),
            AttentionBias = r.Bool("attention_bias", false),
            SlidingWindows = ModelConfig.WindowsFromLayerTypes(r, c.LayerCount, r.OptionalInt("sliding_window") ?? 0),
        };
    }

    /// <inheritdoc />
    public INorm BuildNorm(string prefix, ModelConfig c, Checkpoint w) => LayerParts.LayerNormWithBias(w, prefix, c.HiddenSize, c.NormEps);

    /// <inheritdoc />
    public DecoderLayer BuildLayer(int l, ModelConfig c, Checkpoint w)
    {
        string p = $"model.layers.{l}";
        var moe = LayerParts.GatedSwiGluMoe(w, c, p + ".block_sparse_moe", new SparseMixerRouting(c.TopK, (float)c.RouterJitter), "w1", "w3", "w2");
        return LayerParts.Decoder(this, w, c, l, LayerParts.SelfAttention(w, c, l, c.AttentionBias, outBias: c.AttentionBias), moe);
    }
}
