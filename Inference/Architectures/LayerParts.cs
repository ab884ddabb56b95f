using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Architectures;

/// <summary>Builders for the pieces most architectures share, over the hub's tensor names.</summary>
public static class LayerParts
{
    /// <summary>An RMSNorm "{prefix}.weight" [dim].</summary>
    public static RmsNorm Rms(Checkpoint w, string prefix, int dim, double eps) => new(w.Floats(prefix + ".weight", dim), (float)eps);

    /// <summary>A LayerNorm with bias "{prefix}.weight", "{prefix}.bias" [dim].</summary>
    public static LayerNorm LayerNormWithBias(Checkpoint w, string prefix, int dim, double eps) =>
        new(w.Floats(prefix + ".weight", dim), w.Floats(prefix + ".bias", dim), (float)eps);

    /// <summary>A linear "{prefix}.weight" [rows, cols] with an optional "{prefix}.bias" [rows].</summary>
    public static Linear Linear(Checkpoint w, string prefix, int rows, int cols, bool bias = false) =>
        new(w.Matrix(prefix + ".weight", rows, cols), bias ? w.Floats(prefix + ".bias", rows) : null);

    /// <summary>
    /// The standard self_attn block "model.layers.{l}.self_attn": q/k/v/o projections, optional qkv bias and
    /// o bias, optional q/k norms, sinks.
    /// </summary>
    public static Attention SelfAttention(Checkpoint w, ModelConfig c, int layer, bool qkvBias, bool outBias = false,
        INorm? qNorm = null, INorm? kNorm = null, bool sinks = false)
    {
        string p = $"model.layers.{layer}.self_attn";
        int h = c.HiddenSize, q = c.HeadCount * c.HeadDim, kv = c.KeyValueHeadCount * c.HeadDim;
        return new Attention(
            Linear(w, p + ".q_proj", q, h, qkvBias), Linear(w, p + ".k_proj", kv, h, qkvBias), Linear(w, p + ".v_proj", kv, h, qkvBias),
            Linear(w, p + ".o_proj", h, q, outBias), c.HeadCount, c.KeyValueHeadCount, c.HeadDim,
            new RotaryEmbedding(c.Rope, c.HeadDim, c.MaxPositions), qNorm, kNorm, c.SlidingWindows[layer],
            sinks ? w.Floats(p + ".sinks", c.HeadCount) : null);
    }

    /// <summary>Per-expert SwiGLU matrices "{prefix}.experts.{e}.{gate|up|down}.weight".</summary>
    public static SwiGluExperts PerExpertSwiGlu(Checkpoint w, string prefix, int experts, int hidden, int inter, string gate, string up, string down)
    {
        var g = new WeightMatrix[experts]; var u = new WeightMatrix[experts]; var d = new WeightMatrix[experts];
        for (int e = 0; e < experts; e++)
        {
            g[e] = w.Matrix($"{prefix}.experts.{e}.{gate}.weight", inter, hidden);
            u[e] = w.Matrix($"{prefix}.experts.{e}.{up}.weight", inter, hidden);
            d[e] = w.Matrix($"{prefix}.experts.{e}.{down}.weight", hidden, inter);
        }
        return new SwiGluExperts(g, u, d);
    }

    /// <summary>
    /// The MoE block of hub checkpoints with one linear router "{block}.gate" [E, H] and per-expert SwiGLU
    /// "{block}.experts.{e}.{gate|up|down}.weight" (block "mlp" with gate_proj/up_proj/down_proj, or Mixtral's and
    /// Phi's "block_sparse_moe" with w1/w3/w2).
    /// </summary>
    public static MoeBlock GatedSwiGluMoe(Checkpoint w, ModelConfig c, string block, IRouting routing, string gate, string up, string down, SharedExpert? shared = null) =>
        new(Linear(w, block + ".gate", c.ExpertCount, c.HiddenSize), routing,
            PerExpertSwiGlu(w, block, c.ExpertCount, c.HiddenSize, c.ExpertIntermediateSize, gate, up, down), shared);

    /// <summary>A decoder layer with the hub's norm names "input_layernorm" / "post_attention_layernorm".</summary>
    public static DecoderLayer Decoder(IArchitecture arch, Checkpoint w, ModelConfig c, int layer, Attention attention, MoeBlock moe) =>
        new(arch.BuildNorm($"model.layers.{layer}.input_layernorm", c, w), attention, arch.BuildNorm($"model.layers.{layer}.post_attention_layernorm", c, w), moe);
}
