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
        var config = DeepseekMoeLayout.ReadLatent(r, DeepseekMoeLayout.Read(r, c));
        return method == "greedy" ? config with { ExpertGroups = 1, KeptExpertGroups = 1 } : config;
    }

    /// <inheritdoc />
    public INorm BuildNorm(string prefix, ModelConfig c, Checkpoint w) => LayerParts.Rms(w, prefix, c.HiddenSize, c.NormEps);

    /// <inheritdoc />
    public DecoderLayer BuildLayer(int l, ModelConfig c, Checkpoint w) => DeepseekMoeLayout.Layer(this, l, c, w, LayerParts.LatentSelfAttention(w, c, l),
        () => new GroupLimitedSoftmaxRouting(c.TopK, c.ExpertGroups, c.KeptExpertGroups, c.NormTopKProb, (float)c.RoutedScalingFactor));
}
