using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Architectures;

/// <summary>OLMoE (OlmoeForCausalLM): RMSNorm over the whole q and k projections, softmax top-k (renormalised
/// only with norm_topk_prob), SwiGLU experts "mlp.experts.{e}.{gate,up,down}_proj", router "mlp.gate".</summary>
public sealed class OlmoeArchitecture : IArchitecture
{
    /// <inheritdoc />
    public string Name => "OlmoeForCausalLM";
    /// <inheritdoc />
    public string ModelType => "olmoe";

    /// <inheritdoc />
    public ModelConfig ReadConfig(ConfigReader r, ModelConfig c) => (r.OptionalDouble("clip_qkv") is { } clip
        ? throw new NotSupportedException($"{r.Source}: field 'clip_qkv' = {clip}: clipping q/k/v is not supported (expected null).")
        : c) with
    {
        ExpertCount = r.Int("num_experts"),
        ExpertIntermediateSize = r.Int("intermediate_size"),
        NormTopKProb = r.Bool("norm_topk_prob", false),
        AttentionBias = r.Bool("attention_bias", false),
    };

    /// <inheritdoc />
    public INorm BuildNorm(string prefix, ModelConfig c, Checkpoint w) => LayerParts.Rms(w, prefix, c.HiddenSize, c.NormEps);

    /// <inheritdoc />
    public DecoderLayer BuildLayer(int l, ModelConfig c, Checkpoint w)
    {
        string p = $"model.layers.{l}";
        var attention = LayerParts.SelfAttention(w, c, l, c.AttentionBias,
            qNorm: LayerParts.Rms(w, p + ".self_attn.q_norm", c.HeadCount * c.HeadDim, c.NormEps),
            kNorm: LayerParts.Rms(w, p + ".self_attn.k_norm", c.KeyValueHeadCount * c.HeadDim, c.NormEps));
        var moe = LayerParts.GatedSwiGluMoe(w, c, p + ".mlp", new SoftmaxTopKRouting(c.TopK, c.NormTopKProb), "gate_proj", "up_proj", "down_proj");
        return LayerParts.Decoder(this, w, c, l, attention, moe);
    }
}
