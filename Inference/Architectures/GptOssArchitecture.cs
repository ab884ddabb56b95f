using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Architectures;

/// <summary>
/// gpt-oss (GptOssForCausalLM): attention with biases and sinks, sliding / full layers from layer_types, YaRN
/// rope, router "mlp.router" with bias and softmax over the top-k only, clamped-SwiGLU experts with a fused,
/// interleaved gate_up. Experts are either MXFP4 ("experts.{gate_up,down}_proj_blocks/_scales", kept packed,
/// [out, in/32, 16] per expert) or float ("experts.gate_up_proj" [E, H, 2I], "experts.down_proj" [E, I, H], stored in→out).
/// </summary>
public sealed unsafe class GptOssArchitecture : IArchitecture
{
    /// <inheritdoc />
    public string Name => "GptOssForCausalLM";
    /// <inheritdoc />
    public string ModelType => "gpt_oss";

    /// <inheritdoc />
    public ModelConfig ReadConfig(ConfigReader r, ModelConfig c)
    {
        // The experts clamp at a fixed limit (ClampedSwiGluExperts.Limit, as transformers); another value would change every output.
        if (r.OptionalDouble("swiglu_limit") is { } limit && limit != ClampedSwiGluExperts.Limit)
            throw new NotSupportedException($"{r.Source}: field 'swiglu_limit' = {limit}; only {ClampedSwiGluExperts.Limit} is supported.");
        // The original release's names, which transformers stores but never reads: it routes num_experts_per_tok and
        // takes yarn's original context from rope_scaling.original_max_position_embeddings, as this project does.
        r.Ignore("experts_per_token", "initial_context_length");
        return c with
        {
            ExpertCount = r.Int("num_local_experts"),
            ExpertIntermediateSize = r.Int("intermediate_size"),
            AttentionBias = r.Bool("attention_bias", true),
            SlidingWindows = ModelConfig.WindowsFromLayerTypes(r, c.LayerCount, r.Int("sliding_window")),
        };
    }

    /// <inheritdoc />
    public INorm BuildNorm(string prefix, ModelConfig c, Checkpoint w) => LayerParts.Rms(w, prefix, c.HiddenSize, c.NormEps);

    /// <inheritdoc />
    public DecoderLayer BuildLayer(int l, ModelConfig c, Checkpoint w)
    {
        string p = $"model.layers.{l}";
        int e = c.ExpertCount, h = c.HiddenSize, inter = c.ExpertIntermediateSize;
        var attention = LayerParts.SelfAttention(w, c, l, c.AttentionBias, outBias: c.AttentionBias, sinks: true);
        string x = p + ".mlp.experts.";
        var gateUp = new WeightMatrix[e]; var down = new WeightMatrix[e];
        var gateUpBias = new float[e][]; var downBias = new float[e][];
        var gub = w.Floats(x + "gate_up_proj_bias", e, 2 * inter); var db = w.Floats(x + "down_proj_bias", e, h);
        bool packed = w.Contains(x + "gate_up_proj_blocks");
        for (int i = 0; i < e; i++)
        {
            gateUpBias[i] = gub.AsSpan(i * 2 * inter, 2 * inter).ToArray();
            downBias[i] = db.AsSpan(i * h, h).ToArray();
            if (packed)
            {
                gateUp[i] = Mxfp4Expert(w, x + "gate_up_proj", i, e, 2 * inter, h);
                down[i] = Mxfp4Expert(w, x + "down_proj", i, e, h, inter);
            }
            else
            {
                gateUp[i] = w.TransposedExpert(x + "gate_up_proj", i, e, h, 2 * inter);
                down[i] = w.TransposedExpert(x + "down_proj", i, e, inter, h);
            }
        }
        var moe = new MoeBlock(LayerParts.Linear(w, p + ".mlp.router", e, h, bias: true), new TopKSoftmaxRouting(c.TopK),
            new ClampedSwiGluExperts(gateUp, gateUpBias, down, downBias));
        return LayerParts.Decoder(this, w, c, l, attention, moe);
    }

    /// <summary>Expert <paramref name="expert"/> of an MXFP4 pair "{name}_blocks" [E, rows, cols/32, 16] U8 and "{name}_scales" [E, rows, cols/32] U8, still packed.</summary>
    public static WeightMatrix Mxfp4Expert(Checkpoint w, string name, int expert, int experts, int rows, int cols)
    {
        var blocks = w.Require(name + "_blocks", experts, rows, cols / 32, 16);
        var scales = w.Require(name + "_scales", experts, rows, cols / 32);
        if (blocks.Type != DType.U8 || scales.Type != DType.U8)
            throw new InvalidDataException($"{blocks.Source}: tensors '{name}_blocks' / '_scales' must be U8 (MXFP4 packing), got {SafetensorsFile.DTypeName(blocks.Type)} / {SafetensorsFile.DTypeName(scales.Type)}.");
        byte* b = (byte*)w.Pointer(name + "_blocks") + (long)expert * rows * cols / 2;
        byte* s = (byte*)w.Pointer(name + "_scales") + (long)expert * rows * cols / 32;
        return new WeightMatrix(DType.Mxfp4, b, rows, cols, s);
    }
}
