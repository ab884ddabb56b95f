using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Architectures;

/// <summary>
/// DeepSeek-V3 / R1 and its descendants (DeepseekV3ForCausalLM: Kimi K2, Moonlight): DeepSeek-V2's layout (latent
/// attention, with the q_lora_rank query; leading dense layers; ungated shared experts) and the noaux_tc router: sigmoid
/// scores, "mlp.gate.e_score_correction_bias" added for the choice only, group-limited top-k (a group scores the sum of
/// its two best biased scores), weights the unbiased scores, renormalised (norm_topk_prob) then scaled by
/// routed_scaling_factor (<see cref="BiasedSigmoidRouting"/>).
/// </summary>
public sealed class DeepseekV3Architecture : IArchitecture
{
    /// <inheritdoc />
    public string Name => "DeepseekV3ForCausalLM";
    /// <inheritdoc />
    public string ModelType => "deepseek_v3";

    /// <inheritdoc />
    public ModelConfig ReadConfig(ConfigReader r, ModelConfig c)
    {
        string method = r.String("topk_method") ?? "noaux_tc";
        if (method != "noaux_tc")
            throw new NotSupportedException($"{r.Source}: field 'topk_method': '{method}' is not supported for {Name}; expected noaux_tc.");
        string scoring = r.String("scoring_func") ?? "sigmoid";
        if (scoring != "sigmoid")
            throw new NotSupportedException($"{r.Source}: field 'scoring_func': '{scoring}' is not supported for {Name}; expected sigmoid.");
        return DeepseekMoeLayout.ReadLatent(r, DeepseekMoeLayout.Read(r, c));
    }

    /// <inheritdoc />
    public INorm BuildNorm(string prefix, ModelConfig c, Checkpoint w) => LayerParts.Rms(w, prefix, c.HiddenSize, c.NormEps);

    /// <inheritdoc />
    public DecoderLayer BuildLayer(int l, ModelConfig c, Checkpoint w) =>
        DeepseekMoeLayout.Layer(this, l, c, w, LayerParts.LatentSelfAttention(w, c, l), () => DeepseekMoeLayout.SigmoidRouting(l, c, w));
}
