using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Architectures;

/// <summary>
/// DeepSeek-V2 / V2-Lite (DeepseekV2ForCausalLM): multi-head latent attention ("self_attn.q_proj" or
/// "q_a_proj"/"q_a_layernorm"/"q_b_proj", "kv_a_proj_with_mqa", "kv_a_layernorm", "kv_b_proj", "o_proj"; adjacent-pair
/// rope on the rope part), dense SwiGLU MLPs in the first_k_dense_replace leading layers (and off the moe_layer_freq
/// grid), elsewhere an MoE block "mlp.gate" + "mlp.experts.{e}.{gate,up,down}_proj" plus ungated shared experts
/// "mlp.shared_experts.*" (n_shared_experts × moe_intermediate_size wide). Routing: softmax, greedy or
/// group_limited_greedy (a group scores its best expert), then renormalised (norm_topk_prob) or scaled by
/// routed_scaling_factor (<see cref="GroupLimitedSoftmaxRouting"/>).
/// </summary>
public sealed class DeepseekV2Architecture : IArchitecture
{
    /// <inheritdoc />
    public string Name => "DeepseekV2ForCausalLM";
    /// <inheritdoc />
    public string ModelType => "deepseek_v2";

    /// <inheritdoc />
    public ModelConfig ReadConfig(ConfigReader r, ModelConfig c)
    {
        string method = r.String("topk_method") ?? "greedy";
        if (method is not ("greedy" or "group_limited_greedy"))
            throw new NotSupportedException($"{r.Source}: field 'topk_method': '{method}' is not supported for {Name}; expected greedy or group_limited_greedy.");
        string scoring = r.String("scoring_func") ?? "softmax";
        if (scoring != "softmax")
            throw new NotSupportedException($"{r.Source}: field 'scoring_func': '{scoring}' is not supported for {Name}; expected softmax.");
        var config = DeepseekConfig.Read(r, c);
        return method == "greedy" ? config with { ExpertGroups = 1, KeptExpertGroups = 1 } : config;
    }

    /// <inheritdoc />
    public INorm BuildNorm(string prefix, ModelConfig c, Checkpoint w) => LayerParts.Rms(w, prefix, c.HiddenSize, c.NormEps);

    /// <inheritdoc />
    public DecoderLayer BuildLayer(int l, ModelConfig c, Checkpoint w) => DeepseekConfig.Layer(this, l, c, w,
        () => new GroupLimitedSoftmaxRouting(c.TopK, c.ExpertGroups, c.KeptExpertGroups, c.NormTopKProb, (float)c.RoutedScalingFactor));
}

/// <summary>Config fields and layer layout the DeepSeek-V2 and -V3 families share.</summary>
internal static class DeepseekConfig
{
    /// <summary>The fields both read; dense layers from first_k_dense_replace and moe_layer_freq.</summary>
    public static ModelConfig Read(ConfigReader r, ModelConfig c)
    {
        int layers = c.LayerCount;
        int firstDense = r.OptionalInt("first_k_dense_replace") ?? 0;
        int frequency = r.OptionalInt("moe_layer_freq", false) ?? 1;
        // transformers: layer l is MoE when l >= first_k_dense_replace and l % moe_layer_freq == 0
        var dense = Enumerable.Range(0, layers).Where(l => l < firstDense || l % frequency != 0).ToArray();
        int groups = r.OptionalInt("n_group", false) ?? 1, kept = r.OptionalInt("topk_group", false) ?? 1;
        int experts = r.Int("n_routed_experts");
        if (experts % groups != 0) throw new FormatException($"{r.Source}: field 'n_group' = {groups} does not divide n_routed_experts = {experts}.");
        if (kept > groups) throw new FormatException($"{r.Source}: field 'topk_group' = {kept} exceeds n_group = {groups}.");
        int? qLora = r.OptionalInt("q_lora_rank", false);
        var shape = new LatentAttentionShape(qLora, r.Int("kv_lora_rank"), r.Int("qk_nope_head_dim"), r.Int("qk_rope_head_dim"), r.Int("v_head_dim"));
        if (shape.RopeHeadDim % 2 != 0) throw new FormatException($"{r.Source}: field 'qk_rope_head_dim' = {shape.RopeHeadDim}; expected an even number.");
        if (r.Bool("attention_bias", false))
            throw new NotSupportedException($"{r.Source}: field 'attention_bias' is true; DeepSeek latent attention is supported without biases only.");
        // Training-only fields: the auxiliary balance loss and its sequence mode, expert-parallel size, the multi-token
        // prediction layers (stored after num_hidden_layers; the causal LM never runs them).
        r.Ignore("aux_loss_alpha", "seq_aux", "ep_size", "num_nextn_predict_layers");
        // MLA has no key/value heads of its own (every head reads the one latent); the common reader's value is unused.
        r.Ignore("num_key_value_heads", "head_dim");
        return c with
        {
            ExpertCount = experts,
            ExpertIntermediateSize = r.Int("moe_intermediate_size"),
            SharedExpertIntermediateSize = (r.OptionalInt("n_shared_experts") ?? 0) * r.Int("moe_intermediate_size"),
            DenseLayers = dense,
            DenseIntermediateSize = dense.Length > 0 ? r.Int("intermediate_size") : r.OptionalInt("intermediate_size") ?? 0,
            NormTopKProb = r.Bool("norm_topk_prob", false),
            RoutedScalingFactor = r.OptionalDouble("routed_scaling_factor") ?? 1.0,
            ExpertGroups = groups,
            KeptExpertGroups = kept,
            LatentAttention = shape,
            KeyValueHeadCount = c.HeadCount,
            HeadDim = shape.NopeHeadDim + shape.RopeHeadDim,
        };
    }

    /// <summary>Decoder layer l: latent attention, then a dense MLP "mlp.{gate,up,down}_proj" or the MoE block with <paramref name="routing"/>.</summary>
    public static DecoderLayer Layer(IArchitecture arch, int l, ModelConfig c, Checkpoint w, Func<IRouting> routing)
    {
        string p = $"model.layers.{l}";
        var attention = LayerParts.LatentSelfAttention(w, c, l);
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
