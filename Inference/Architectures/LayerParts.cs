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

    /// <summary>Reads a field that one architecture names and that must be present.</summary>
    public static int Required(ConfigReader r, string field) => r.Int(field);
}
