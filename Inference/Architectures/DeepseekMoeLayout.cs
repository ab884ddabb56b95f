using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Architectures;

/// <summary>
/// The feed-forward layout DeepSeek-V2, DeepSeek-V3 and GLM-4.5 share: leading dense layers (first_k_dense_replace,
/// and DeepSeek's moe_layer_freq), a dense SwiGLU "mlp.{gate,up,down}_proj" there, elsewhere the MoE block "mlp.gate"
/// [E, H] + "mlp.experts.{e}.*" + ungated "mlp.shared_experts.*"; and DeepSeek's latent attention fields.
/// </summary>
internal static class DeepseekMoeLayout
{
    /// <summary>The MoE fields: experts, groups, scaling, shared experts, dense layers (layer l is MoE when l &gt;=
    /// first_k_dense_replace and l % moe_layer_freq == 0, transformers' rule).</summary>
    public static ModelConfig Read(ConfigReader r, ModelConfig c)
    {
        int firstDense = r.OptionalInt("first_k_dense_replace") ?? 0;
        int frequency = r.OptionalInt("moe_layer_freq", false) ?? 1;
        var dense = Enumerable.Range(0, c.LayerCount).Where(l => l < firstDense || l % frequency != 0).ToArray();
        int groups = r.OptionalInt("n_group", false) ?? 1, kept = r.OptionalInt("topk_group", false) ?? 1;
        int experts = r.Int("n_routed_experts");
        if (experts % groups != 0) throw new FormatException($"{r.Source}: field 'n_group' = {groups} does not divide n_routed_experts = {experts}.");
        if (kept > groups) throw new FormatException($"{r.Source}: field 'topk_group' = {kept} exceeds n_group = {groups}.");
        if (groups > 1 && experts / groups < 2) throw new FormatException($"{r.Source}: fields 'n_group' = {groups}, 'n_routed_experts' = {experts}: a group scores its two best experts, so it needs at least 2.");
        // Training-only fields: the auxiliary balance loss and its sequence mode, expert-parallel size, the multi-token
        // prediction layers (stored after num_hidden_layers; the causal LM never runs them).
        r.Ignore("aux_loss_alpha", "seq_aux", "ep_size", "num_nextn_predict_layers");
        int expertWidth = r.Int("moe_intermediate_size");
        return c with
        {
            ExpertCount = experts,
            ExpertIntermediateSize = expertWidth,
            SharedExpertIntermediateSize = (r.OptionalInt("n_shared_experts") ?? 0) * expertWidth,
            DenseLayers = dense,
            DenseIntermediateSize = dense.Length > 0 ? r.Int("intermediate_size") : r.OptionalInt("intermediate_size") ?? 0,
            NormTopKProb = r.Bool("norm_topk_prob", false),
            RoutedScalingFactor = r.OptionalDouble("routed_scaling_factor") ?? 1.0,
            ExpertGroups = groups,
            KeptExpertGroups = kept,
        };
    }

    /// <summary>DeepSeek's latent attention shape fields (no attention biases).</summary>
    public static ModelConfig ReadLatent(ConfigReader r, ModelConfig c)
    {
        var shape = new LatentAttentionShape(r.OptionalInt("q_lora_rank", false), r.Int("kv_lora_rank"), r.Int("qk_nope_head_dim"), r.Int("qk_rope_head_dim"), r.Int("v_head_dim"));
        if (shape.RopeHeadDim % 2 != 0) throw new FormatException($"{r.Source}: field 'qk_rope_head_dim' = {shape.RopeHeadDim}; expected an even number.");
        if (r.Bool("attention_bias", false))
            throw new NotSupportedException($"{r.Source}: field 'attention_bias' is true; DeepSeek latent attention is supported without biases only.");
        // MLA has no key/value heads of its own (every head reads the one latent); the common reader's value is unused.
        r.Ignore("num_key_value_heads", "head_dim");
        return c with { LatentAttention = shape, KeyValueHeadCount = c.HeadCount, HeadDim = shape.NopeHeadDim + shape.RopeHeadDim };
    }

    /// <summary>The noaux_tc router of MoE layer l (DeepSeek-V3, GLM-4.5): sigmoid, "mlp.gate.e_score_correction_bias" [E].</summary>
    public static BiasedSigmoidRouting SigmoidRouting(int l, ModelConfig c, Checkpoint w) =>
        new(c.TopK, w.Floats($"model.layers.{l}.mlp.gate.e_score_correction_bias", c.ExpertCount),
            c.ExpertGroups, c.KeptExpertGroups, c.NormTopKProb, (float)c.RoutedScalingFactor);

    /// <summary>Decoder layer l: <paramref name="attention"/>, then a dense MLP "mlp.{gate,up,down}_proj" or the MoE block with <paramref name="routing"/>.</summary>
    public static DecoderLayer Layer(IArchitecture arch, int l, ModelConfig c, Checkpoint w, ISelfAttention attention, Func<IRouting> routing)
    {
        string p = $"model.layers.{l}";
        var input = arch.BuildNorm(p + ".input_layernorm", c, w);
        var post = arch.BuildNorm(p + ".post_attention_layernorm", c, w);
        if (!c.IsMoeLayer(l)) return new DecoderLayer(input, attention, post, LayerParts.DenseMlp(w, p + ".mlp", c.HiddenSize, c.DenseIntermediateSize));
        SharedExpert? shared = c.SharedExpertIntermediateSize > 0
            ? new SharedExpert(LayerParts.SwiGlu(w, p + ".mlp.shared_experts", c.HiddenSize, c.SharedExpertIntermediateSize), null)
            : null;
        var moe = LayerParts.GatedSwiGluMoe(w, c, p + ".mlp", routing(), "gate_proj", "up_proj", "down_proj", shared);
        return new DecoderLayer(input, attention, post, moe);
    }
}
