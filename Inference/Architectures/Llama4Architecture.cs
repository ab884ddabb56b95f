using System.Text.Json;
using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Architectures;

/// <summary>
/// Llama 4 Scout / Maverick, text part: Llama4ForConditionalGeneration (the hub's checkpoints: the language model's config
/// in "text_config", its tensors under "language_model.") or Llama4ForCausalLM (model_type llama4_text, top-level).
/// As transformers' modeling_llama4 defines it:
/// <list type="bullet">
/// <item>attention: GQA with optional biases (attention_bias) on q/k/v/o; rope on adjacent pairs (its complex
/// multiplication) except on the NoPE layers (no_rope_layers[l] = 0; default every no_rope_layer_interval-th layer);
/// on the rope layers, with use_qk_norm, a weightless L2 norm (x / √(mean x² + rms_norm_eps)) of every q and k head
/// after the rotary; the rope layers are chunked (layer_types chunked_attention: a token sees its own chunk of
/// attention_chunk_size positions), the NoPE layers see everything, and with attn_temperature_tuning their queries are
/// scaled by log1p(floor((position + 1) / floor_scale)) · attn_scale + 1;</item>
/// <item>feed-forward: MoE in the layers of moe_layers (default every interleave_moe_layer_step-th layer, the last of
/// each step), a dense SwiGLU "feed_forward.{gate,up,down}_proj" of intermediate_size_mlp elsewhere; the MoE block:
/// router "feed_forward.router" [E, H], top-k of the logits, each chosen expert's weight σ(its logit), applied to the
/// expert's input (<see cref="MoeBlock.WeightsScaleInputs"/>); experts fused as the hub stores them,
/// "feed_forward.experts.gate_up_proj" [E, H, 2I] (gate columns, then up) and "feed_forward.experts.down_proj" [E, I, H],
/// transposed once at load; plus the ungated shared expert "feed_forward.shared_expert.*" of intermediate_size.</item>
/// </list>
/// </summary>
public sealed class Llama4Architecture(bool multimodal) : IArchitecture
{
    /// <inheritdoc />
    public string Name => multimodal ? "Llama4ForConditionalGeneration" : "Llama4ForCausalLM";
    /// <inheritdoc />
    public string ModelType => multimodal ? "llama4" : "llama4_text";
    /// <inheritdoc />
    public string? TextConfigField => multimodal ? "text_config" : null;
    /// <inheritdoc />
    public string TensorPrefix => multimodal ? "language_model." : "";

    /// <inheritdoc />
    public ModelConfig ReadConfig(ConfigReader r, ModelConfig c)
    {
        int layers = c.LayerCount;

        // MoE layers: moe_layers when given (it overrides the step), else the last layer of every step.
        int step = r.OptionalInt("interleave_moe_layer_step", false) ?? 1;
        int[] moe = r.Ints("moe_layers") ?? Enumerable.Range(0, layers).Where(l => (l + 1) % step == 0).ToArray();
        foreach (int l in moe)
            if (l < 0 || l >= layers) throw new FormatException($"{r.Source}: field 'moe_layers': layer {l} does not exist; expected indices in 0..{layers - 1} (num_hidden_layers {layers}).");
        if (moe.Distinct().Count() != moe.Length) throw new FormatException($"{r.Source}: field 'moe_layers' names a layer twice.");
        if (moe.Length == 0) throw new FormatException($"{r.Source}: fields 'moe_layers' / 'interleave_moe_layer_step' = {step} leave no MoE layer among {layers}; expected at least one.");
        var dense = Enumerable.Range(0, layers).Except(moe).ToArray();

        // Rope layers: no_rope_layers[l] = 1 uses rope, 0 is a NoPE layer; empty or absent: every interval-th layer is NoPE.
        int interval = r.OptionalInt("no_rope_layer_interval", false) ?? 4;
        int[] flags = r.Ints("no_rope_layers") is { Length: > 0 } given ? given : Enumerable.Range(0, layers).Select(l => (l + 1) % interval != 0 ? 1 : 0).ToArray();
        if (flags.Any(f => f is not (0 or 1))) throw new FormatException($"{r.Source}: field 'no_rope_layers': expected entries 0 (NoPE) or 1 (rope), got [{string.Join(", ", flags)}].");
        if (flags.Length < layers) throw new FormatException($"{r.Source}: field 'no_rope_layers' has {flags.Length} entries; expected at least num_hidden_layers = {layers} (1: rope, 0: NoPE).");
        var noRope = Enumerable.Range(0, layers).Where(l => flags[l] == 0).ToArray();

        // Chunked attention: layer_types, by default chunked_attention on the rope layers and full_attention on the NoPE ones.
        // attention_chunk_size absent is transformers' default 8192; null turns chunking off.
        int chunk = r.Present("attention_chunk_size") ? r.OptionalInt("attention_chunk_size", false) ?? 0 : 8192;
        var types = r.Strings("layer_types") ?? Enumerable.Range(0, layers).Select(l => flags[l] == 1 ? "chunked_attention" : "full_attention").ToList();
        if (types.Count != layers) throw new FormatException($"{r.Source}: field 'layer_types' has {types.Count} entries, expected num_hidden_layers = {layers}.");
        var chunks = new int[layers];
        for (int l = 0; l < layers; l++)
            chunks[l] = types[l] switch
            {
                "chunked_attention" => chunk,
                "full_attention" => 0,
                var other => throw new FormatException($"{r.Source}: field 'layer_types'[{l}]: '{other}', expected chunked_attention or full_attention."),
            };

        // Older hub configs write attn_temperature_tuning as a number (Scout's 4), which transformers reads as true.
        bool tuning = r.Raw("attn_temperature_tuning") is not { } t
            || t.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Number => t.GetDouble() != 0,
                _ => throw new FormatException($"{r.Source}: field 'attn_temperature_tuning': expected true, false or a number, got {t.GetRawText()}."),
            };
        double floor = r.OptionalDouble("floor_scale") ?? 8192, scale = r.OptionalDouble("attn_scale") ?? 0.1;
        if (!(floor > 0)) throw new FormatException($"{r.Source}: field 'floor_scale' = {floor}; expected a positive number of tokens.");

        int experts = r.Int("num_local_experts"), width = r.Int("intermediate_size");
        return c with
        {
            ExpertCount = experts,
            ExpertIntermediateSize = width,
            SharedExpertIntermediateSize = width,   // one shared expert of the routed experts' width
            DenseLayers = dense,
            DenseIntermediateSize = dense.Length > 0 ? r.Int("intermediate_size_mlp") : r.OptionalInt("intermediate_size_mlp") ?? 0,
            AttentionBias = r.Bool("attention_bias", false),
            QkNorm = r.Bool("use_qk_norm", true),
            NoRopeLayers = noRope,
            AttentionChunks = chunks,
            AttentionTemperature = tuning && noRope.Length > 0 ? new QueryTemperature(floor, scale) : null,
        };
    }

    /// <inheritdoc />
    public INorm BuildNorm(string prefix, ModelConfig c, Checkpoint w) => LayerParts.Rms(w, prefix, c.HiddenSize, c.NormEps);

    /// <inheritdoc />
    public DecoderLayer BuildLayer(int l, ModelConfig c, Checkpoint w)
    {
        string p = $"model.layers.{l}";
        int h = c.HiddenSize, q = c.HeadCount * c.HeadDim, kv = c.KeyValueHeadCount * c.HeadDim;
        bool rope = Array.BinarySearch(c.NoRopeLayers, l) < 0;
        bool bias = c.AttentionBias;
        var attention = new Attention(
            LayerParts.Linear(w, p + ".self_attn.q_proj", q, h, bias), LayerParts.Linear(w, p + ".self_attn.k_proj", kv, h, bias),
            LayerParts.Linear(w, p + ".self_attn.v_proj", kv, h, bias), LayerParts.Linear(w, p + ".self_attn.o_proj", h, q, bias),
            c.HeadCount, c.KeyValueHeadCount, c.HeadDim,
            rope ? new RotaryEmbedding(c.Rope, c.HeadDim, c.MaxPositions, adjacentPairs: true) : null,
            postRotaryNorm: rope && c.QkNorm ? new UnitRmsNorm(c.HeadDim, (float)c.NormEps) : null,
            chunkSize: c.AttentionChunks.Length > 0 ? c.AttentionChunks[l] : 0,
            temperature: rope ? null : c.AttentionTemperature);
        var input = BuildNorm(p + ".input_layernorm", c, w);
        var post = BuildNorm(p + ".post_attention_layernorm", c, w);
        string f = p + ".feed_forward";
        if (!c.IsMoeLayer(l)) return new DecoderLayer(input, attention, post, LayerParts.DenseMlp(w, f, h, c.DenseIntermediateSize));

        int e = c.ExpertCount, inter = c.ExpertIntermediateSize;
        var gate = new WeightMatrix[e]; var up = new WeightMatrix[e]; var down = new WeightMatrix[e];
        for (int x = 0; x < e; x++)
        {
            var gateUp = w.TransposedExpert(f + ".experts.gate_up_proj", x, e, h, 2 * inter);   // [2I, H]: gate rows, then up rows
            gate[x] = gateUp.RowRange(0, inter);
            up[x] = gateUp.RowRange(inter, inter);
            down[x] = w.TransposedExpert(f + ".experts.down_proj", x, e, inter, h);            // [H, I]
        }
        var shared = new SharedExpert(LayerParts.SwiGlu(w, f + ".shared_expert", h, c.SharedExpertIntermediateSize), null);
        var moe = new MoeBlock(LayerParts.Linear(w, f + ".router", e, h), new SigmoidTopKRouting(c.TopK), new SwiGluExperts(gate, up, down), shared,
            weightsScaleInputs: true);
        return new DecoderLayer(input, attention, post, moe);
    }
}
