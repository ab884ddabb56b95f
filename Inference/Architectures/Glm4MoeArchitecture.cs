using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Architectures;

/// <summary>
/// GLM-4.5 / 4.5-Air / 4.6 (Glm4MoeForCausalLM): grouped-query attention with q/k/v biases (attention_bias), optional
/// per-head q/k RMSNorms (use_qk_norm), rotary on the first partial_rotary_factor × head_dim dimensions of each head
/// (rotate-half within them); DeepSeek-V3's feed-forward layout and router: leading dense layers, sigmoid scores with
/// "mlp.gate.e_score_correction_bias" for the choice only, group-limited top-k, renormalised, × routed_scaling_factor,
/// ungated shared experts.
/// </summary>
public sealed class Glm4MoeArchitecture : IArchitecture
{
    /// <inheritdoc />
    public string Name => "Glm4MoeForCausalLM";
    /// <inheritdoc />
    public string ModelType => "glm4_moe";

    /// <inheritdoc />
    public ModelConfig ReadConfig(ConfigReader r, ModelConfig c)
    {
        if (r.Raw("moe_layer_freq") is not null)
            throw new NotSupportedException($"{r.Source}: field 'moe_layer_freq': GLM-4.5 has MoE blocks in every layer from first_k_dense_replace on; the field is not part of its config.");
        double partial = r.OptionalDouble("partial_rotary_factor") ?? 0.5;
        int rotary = (int)(c.HeadDim * partial);
        if (rotary < 2 || rotary % 2 != 0 || rotary > c.HeadDim)
            throw new FormatException($"{r.Source}: field 'partial_rotary_factor' = {partial}: head_dim {c.HeadDim} × it = {rotary}; expected an even number of rotated dimensions in 2..head_dim.");
        return DeepseekMoeLayout.Read(r, c) with
        {
            AttentionBias = r.Bool("attention_bias", false),
            QkNorm = r.Bool("use_qk_norm", false),
            RotaryDims = rotary,
        };
    }

    /// <inheritdoc />
    public INorm BuildNorm(string prefix, ModelConfig c, Checkpoint w) => LayerParts.Rms(w, prefix, c.HiddenSize, c.NormEps);

    /// <inheritdoc />
    public DecoderLayer BuildLayer(int l, ModelConfig c, Checkpoint w)
    {
        string p = $"model.layers.{l}.self_attn";
        var attention = LayerParts.SelfAttention(w, c, l, c.AttentionBias,
            qNorm: c.QkNorm ? LayerParts.Rms(w, p + ".q_norm", c.HeadDim, c.NormEps) : null,
            kNorm: c.QkNorm ? LayerParts.Rms(w, p + ".k_norm", c.HeadDim, c.NormEps) : null);
        return DeepseekMoeLayout.Layer(this, l, c, w, attention, () => DeepseekMoeLayout.SigmoidRouting(l, c, w));
    }
}
