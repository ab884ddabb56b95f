using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Architectures;

/// <summary>
/// Llama (LlamaForCausalLM), dense: "self_attn.{q,k,v,o}_proj" (biases when attention_bias), a SwiGLU MLP
/// "mlp.{gate,up,down}_proj", RMSNorms, default or llama3 rope, optional tied lm_head. Here for the Llama-Guard-3
/// safety judges, not for steering.
/// </summary>
/// <remarks>
/// The engine is MoE-shaped (routing hooks, steering, CUDA upload all take a <see cref="MoeBlock"/>), so the dense MLP
/// is one expert routed top-1: its router is a constant zero matrix [1, H] built here (the checkpoint has no router),
/// so the single logit is 0, softmax over one logit is exactly 1 and renormalising keeps 1. The block then computes
/// 1 · mlp(x), bit for bit a Mixtral layer with num_local_experts = 1, num_experts_per_tok = 1; hooks see one expert.
/// </remarks>
public sealed class LlamaArchitecture : IArchitecture
{
    /// <inheritdoc />
    public string Name => "LlamaForCausalLM";
    /// <inheritdoc />
    public string ModelType => "llama";

    /// <inheritdoc />
    public ModelConfig ReadConfig(ConfigReader r, ModelConfig c)
    {
        if (r.Bool("mlp_bias", false))
            throw new NotSupportedException($"{r.Source}: field 'mlp_bias' is true; LlamaForCausalLM is supported with mlp_bias false (no MLP biases) only.");
        return c with
        {
            ExpertCount = 1,   // the dense MLP as one expert, top-1 (see the remarks)
            TopK = 1,
            ExpertIntermediateSize = r.Int("intermediate_size"),
            NormTopKProb = true,
            AttentionBias = r.Bool("attention_bias", false),
            SlidingWindows = new int[c.LayerCount],   // Llama has no sliding window
        };
    }

    /// <inheritdoc />
    public INorm BuildNorm(string prefix, ModelConfig c, Checkpoint w) => LayerParts.Rms(w, prefix, c.HiddenSize, c.NormEps);

    /// <inheritdoc />
    public DecoderLayer BuildLayer(int l, ModelConfig c, Checkpoint w)
    {
        string p = $"model.layers.{l}.mlp";
        int h = c.HiddenSize, inter = c.ExpertIntermediateSize;
        var mlp = new SwiGluExperts([w.Matrix(p + ".gate_proj.weight", inter, h)], [w.Matrix(p + ".up_proj.weight", inter, h)],
            [w.Matrix(p + ".down_proj.weight", h, inter)]);
        var moe = new MoeBlock(new Linear(w.Zeros(1, h)), new SoftmaxTopKRouting(1, renormalize: true), mlp);
        var attention = LayerParts.SelfAttention(w, c, l, c.AttentionBias, outBias: c.AttentionBias);
        return LayerParts.Decoder(this, w, c, l, attention, moe);
    }
}
