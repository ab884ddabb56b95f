using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Architectures;

/// <summary>Qwen3-MoE (Qwen3MoeForCausalLM): per-head RMS q/k norms, softmax top-k (norm_topk_prob), SwiGLU experts.</summary>
public sealed class Qwen3MoeArchitecture : IArchitecture
{
    /// <inheritdoc />
    public string Name => "Qwen3MoeForCausalLM";
    /// <inheritdoc />
    public string ModelType => "qwen3_moe";

    /// <inheritdoc />
    public ModelConfig ReadConfig(ConfigReader r, ModelConfig c)
    {
        QwenConfig.RequireEveryLayerSparse(r, c.LayerCount);
        return c with
        {
            ExpertCount = r.OptionalInt("num_experts", false) ?? r.Int("num_local_experts"),
            ExpertIntermediateSize = r.Int("moe_intermediate_size"),
            NormTopKProb = r.Bool("norm_topk_prob", true),
            AttentionBias = r.Bool("attention_bias", false),
            SlidingWindows = QwenConfig.Windows(r, c.LayerCount),
        };
    }

    /// <inheritdoc />
    public INorm BuildNorm(string prefix, ModelConfig c, Checkpoint w) => LayerParts.Rms(w, prefix, c.HiddenSize, c.NormEps);

    /// <inheritdoc />
    public DecoderLayer BuildLayer(int l, ModelConfig c, Checkpoint w)
    {
        string p = $"model.layers.{l}";
        var attention = LayerParts.SelfAttention(w, c, l, c.AttentionBias,
            qNorm: LayerParts.Rms(w, p + ".self_attn.q_norm", c.HeadDim, c.NormEps),
            kNorm: LayerParts.Rms(w, p + ".self_attn.k_norm", c.HeadDim, c.NormEps));
        var moe = LayerParts.GatedSwiGluMoe(w, c, p + ".mlp", new SoftmaxTopKRouting(c.TopK, c.NormTopKProb), "gate_proj", "up_proj", "down_proj");
        return LayerParts.Decoder(this, w, c, l, attention, moe);
    }
}
