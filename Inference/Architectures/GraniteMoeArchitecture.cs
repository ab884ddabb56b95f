using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Architectures;

/// <summary>
/// IBM Granite MoE (GraniteMoeForCausalLM: granite-3.0/3.1 1b-a400m, 3b-a800m): Llama-style attention with the softmax
/// scale attention_multiplier instead of 1/√head_dim; embeddings × embedding_multiplier, every block's output ×
/// residual_multiplier before the residual sum, logits ÷ logits_scaling; MoE block "block_sparse_moe": router
/// "router.layer" [E, H], top-k of the logits then softmax over the k (<see cref="TopKSoftmaxRouting"/>, as JetMoE's
/// gating transformers uses), experts fused as "input_linear" [E, 2I, H] (gate rows, then up rows) and
/// "output_linear" [E, H, I].
/// </summary>
public sealed class GraniteMoeArchitecture : IArchitecture
{
    /// <inheritdoc />
    public string Name => "GraniteMoeForCausalLM";
    /// <inheritdoc />
    public string ModelType => "granitemoe";

    /// <inheritdoc />
    public ModelConfig ReadConfig(ConfigReader r, ModelConfig c)
    {
        double logits = r.OptionalDouble("logits_scaling") ?? 1.0;
        if (!(logits > 0)) throw new FormatException($"{r.Source}: field 'logits_scaling' = {logits}; expected a positive number (the logits are divided by it).");
        return c with
        {
            ExpertCount = r.Int("num_local_experts"),
            ExpertIntermediateSize = r.Int("intermediate_size"),
            AttentionBias = r.Bool("attention_bias", false),
            EmbeddingMultiplier = r.OptionalDouble("embedding_multiplier") ?? 1.0,
            ResidualMultiplier = r.OptionalDouble("residual_multiplier") ?? 1.0,
            LogitsScaling = logits,
            AttentionMultiplier = r.OptionalDouble("attention_multiplier") ?? 1.0 / Math.Sqrt(c.HeadDim),
        };
    }

    /// <inheritdoc />
    public INorm BuildNorm(string prefix, ModelConfig c, Checkpoint w) => LayerParts.Rms(w, prefix, c.HiddenSize, c.NormEps);

    /// <inheritdoc />
    public DecoderLayer BuildLayer(int l, ModelConfig c, Checkpoint w)
    {
        string p = $"model.layers.{l}.block_sparse_moe";
        int e = c.ExpertCount, h = c.HiddenSize, inter = c.ExpertIntermediateSize;
        var gate = new WeightMatrix[e]; var up = new WeightMatrix[e]; var down = new WeightMatrix[e];
        for (int x = 0; x < e; x++)
        {
            gate[x] = w.ExpertRows(p + ".input_linear.weight", x, e, 2 * inter, h, 0, inter);
            up[x] = w.ExpertRows(p + ".input_linear.weight", x, e, 2 * inter, h, inter, inter);
            down[x] = w.ExpertRows(p + ".output_linear.weight", x, e, h, inter, 0, h);
        }
        var moe = new MoeBlock(LayerParts.Linear(w, p + ".router.layer", e, h), new TopKSoftmaxRouting(c.TopK), new SwiGluExperts(gate, up, down));
        var attention = LayerParts.SelfAttention(w, c, l, c.AttentionBias, outBias: c.AttentionBias);
        return LayerParts.Decoder(this, w, c, l, attention, moe);
    }
}
