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
            new RotaryEmbedding(c.Rope, c.RotaryDims > 0 ? c.RotaryDims : c.HeadDim, c.MaxPositions), qNorm, kNorm, c.SlidingWindows[layer],
            sinks ? w.Floats(p + ".sinks", c.HeadCount) : null, c.AttentionMultiplier is { } m ? (float)m : null);
    }

    /// <summary>
    /// DeepSeek's multi-head latent attention "model.layers.{l}.self_attn": q_proj, or q_a_proj + q_a_layernorm + q_b_proj
    /// (q_lora_rank), kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj, o_proj, no biases; adjacent-pair rope over
    /// qk_rope_head_dim. The bottleneck norms use ε 1e-6 (transformers builds them with the RMSNorm default, not
    /// rms_norm_eps). Softmax scale 1/√(nope + rope), times mscale² = (0.1 · mscale_all_dim · ln factor + 1)² under YaRN
    /// with mscale_all_dim.
    /// </summary>
    public static LatentAttention LatentSelfAttention(Checkpoint w, ModelConfig c, int layer)
    {
        string p = $"model.layers.{layer}.self_attn";
        var m = c.LatentAttention ?? throw new ArgumentException($"{c.Source}: layer {layer}: latent attention needs the MLA shape fields.");
        int h = c.HiddenSize, heads = c.HeadCount, qd = m.NopeHeadDim + m.RopeHeadDim;
        const double BottleneckEps = 1e-6;
        Linear? q = null, qA = null, qB = null; INorm? qNorm = null;
        if (m.QLoraRank is { } rank)
        {
            qA = Linear(w, p + ".q_a_proj", rank, h);
            qNorm = Rms(w, p + ".q_a_layernorm", rank, BottleneckEps);
            qB = Linear(w, p + ".q_b_proj", heads * qd, rank);
        }
        else q = Linear(w, p + ".q_proj", heads * qd, h);
        double scale = 1.0 / Math.Sqrt(qd);
        if (c.Rope.Type == "yarn" && c.Rope.MscaleAllDim is { } all and > 0 && c.Rope.Factor > 1)
        {
            double mscale = 0.1 * all * Math.Log(c.Rope.Factor) + 1.0;
            scale *= mscale * mscale;
        }
        return new LatentAttention(q, qA, qNorm, qB,
            Linear(w, p + ".kv_a_proj_with_mqa", m.KvLoraRank + m.RopeHeadDim, h), Rms(w, p + ".kv_a_layernorm", m.KvLoraRank, BottleneckEps),
            Linear(w, p + ".kv_b_proj", heads * (m.NopeHeadDim + m.ValueHeadDim), m.KvLoraRank), Linear(w, p + ".o_proj", h, heads * m.ValueHeadDim),
            heads, m, new RotaryEmbedding(c.Rope, m.RopeHeadDim, c.MaxPositions, adjacentPairs: true), (float)scale, LatentAttentionPath.Decompressed);
    }

    /// <summary>One SwiGLU "{prefix}.{gate_proj,up_proj,down_proj}.weight" as a one-expert bank (a shared expert).</summary>
    public static SwiGluExperts SwiGlu(Checkpoint w, string prefix, int hidden, int inter) =>
        new([w.Matrix(prefix + ".gate_proj.weight", inter, hidden)], [w.Matrix(prefix + ".up_proj.weight", inter, hidden)],
            [w.Matrix(prefix + ".down_proj.weight", hidden, inter)]);

    /// <summary>A dense layer's MLP "{prefix}.{gate_proj,up_proj,down_proj}.weight".</summary>
    public static SwiGluMlp DenseMlp(Checkpoint w, string prefix, int hidden, int inter) =>
        new(w.Matrix(prefix + ".gate_proj.weight", inter, hidden), w.Matrix(prefix + ".up_proj.weight", inter, hidden),
            w.Matrix(prefix + ".down_proj.weight", hidden, inter));

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
    public static DecoderLayer Decoder(IArchitecture arch, Checkpoint w, ModelConfig c, int layer, ISelfAttention attention, MoeBlock moe) =>
        new(arch.BuildNorm($"model.layers.{layer}.input_layernorm", c, w), attention, arch.BuildNorm($"model.layers.{layer}.post_attention_layernorm", c, w), moe);
}
