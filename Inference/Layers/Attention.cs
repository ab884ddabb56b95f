using System.Numerics.Tensors;
using SteerMoE.Research.Inference.Kernels;

namespace SteerMoE.Research.Inference.Layers;

/// <summary>A causal self-attention block of a decoder layer: standard (<see cref="Attention"/>) or latent (<see cref="LatentAttention"/>).</summary>
public interface ISelfAttention
{
    /// <summary>x [N, hidden] → y [N, hidden]; appends this block's cache rows to <paramref name="cache"/> layer <paramref name="layer"/>.</summary>
    void Forward(ReadOnlySpan<float> x, Span<float> y, TokenLayout layout, KvCache cache, int layer, Precision precision);
}

/// <summary>
/// Grouped-query causal self-attention: q/k/v projections (optional biases), optional q/k RMS norms (over the
/// whole projection or per head: the norm's weight length decides), rotary embedding, an optional sliding
/// window (a token sees itself and the window − 1 tokens before it), optional attention sinks (one extra
/// softmax logit per head that takes probability mass and is dropped), and the output projection.
/// </summary>
public sealed class Attention : ISelfAttention
{
    /// <summary>Assembles an attention block from its parts.</summary>
    public Attention(Linear q, Linear k, Linear v, Linear o, int heads, int kvHeads, int headDim, RotaryEmbedding? rotary,
        INorm? qNorm = null, INorm? kNorm = null, int slidingWindow = 0, float[]? sinks = null, float? scale = null,
        INorm? postRotaryNorm = null, int chunkSize = 0, QueryTemperature? temperature = null)
    {
        if (heads % kvHeads != 0) throw new ArgumentException($"attention: {heads} heads is not a multiple of {kvHeads} key/value heads.");
        Q = q; K = k; V = v; O = o; Heads = heads; KvHeads = kvHeads; HeadDim = headDim; Rotary = rotary;
        QNorm = qNorm; KNorm = kNorm; SlidingWindow = slidingWindow; Sinks = sinks; Scale = scale ?? 1f / MathF.Sqrt(headDim);
        PostRotaryNorm = postRotaryNorm; ChunkSize = chunkSize; Temperature = temperature;
    }

    /// <summary>A norm of q and k per head after the rotary (Llama 4's weightless L2 norm on its rope layers), or null.</summary>
    public INorm? PostRotaryNorm { get; }
    /// <summary>Chunked attention: a token sees only the tokens of its own chunk of this many positions, up to itself (0: off).</summary>
    public int ChunkSize { get; }
    /// <summary>Position-dependent query scaling (Llama 4's temperature tuning on its NoPE layers), or null.</summary>
    public QueryTemperature? Temperature { get; }

    /// <summary>The softmax scale: 1/√head_dim unless the architecture sets its own (Granite's attention_multiplier).</summary>
    public float Scale { get; }

    /// <summary>Query projection: hidden -> heads x head_dim.</summary>
    public Linear Q { get; }
    /// <summary>Key projection: hidden -> kv_heads x head_dim.</summary>
    public Linear K { get; }
    /// <summary>Value projection: hidden -> kv_heads x head_dim.</summary>
    public Linear V { get; }
    /// <summary>Output projection: heads x head_dim -> hidden.</summary>
    public Linear O { get; }
    /// <summary>Number of query heads.</summary>
    public int Heads { get; }
    /// <summary>Number of key/value heads (grouped-query attention when fewer than <see cref="Heads"/>).</summary>
    public int KvHeads { get; }
    /// <summary>Dimension of one head.</summary>
    public int HeadDim { get; }
    /// <summary>Rotary embedding applied to q and k after their norms, to the first Rotary.HeadDim dimensions of each head;
    /// null for a layer without position embedding (Llama 4's NoPE layers).</summary>
    public RotaryEmbedding? Rotary { get; }
    /// <summary>Optional norm of the queries (per head or over all heads, as the architecture says).</summary>
    public INorm? QNorm { get; }
    /// <summary>Optional norm of the keys.</summary>
    public INorm? KNorm { get; }
    /// <summary>Sliding window in tokens (0: full causal attention).</summary>
    public int SlidingWindow { get; }
    /// <summary>Per-head sink logits, or null.</summary>
    public float[]? Sinks { get; }

    /// <summary>x [N, hidden] → y [N, hidden]; appends this block's keys/values to <paramref name="cache"/> layer <paramref name="layer"/>.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, TokenLayout layout, KvCache cache, int layer, Precision precision)
    {
        int n = layout.Count, qWidth = Heads * HeadDim, kvWidth = KvHeads * HeadDim;
        var q = new float[n * qWidth];      // [N, heads·D]
        var k = new float[n * kvWidth];     // [N, kvHeads·D]
        var v = new float[n * kvWidth];     // [N, kvHeads·D]
        Q.Apply(x, q, n, precision);
        K.Apply(x, k, n, precision);
        V.Apply(x, v, n, precision);
        QNorm?.Apply(q, q);
        KNorm?.Apply(k, k);
        Rotary?.Apply(q, Heads, layout.Position, layout.MaxLength, HeadDim);   // the rotary may cover part of each head
        Rotary?.Apply(k, KvHeads, layout.Position, layout.MaxLength, HeadDim);
        PostRotaryNorm?.Apply(q, q);
        PostRotaryNorm?.Apply(k, k);
        Temperature?.Apply(q, layout.Position, Heads * HeadDim);
        for (int r = 0; r < n; r++)
        {
            int s = layout.Sequence[r], p = layout.Position[r];
            cache.Reserve(layer, s, p + 1);
            k.AsSpan(r * kvWidth, kvWidth).CopyTo(cache.Keys(layer, s).AsSpan(p * kvWidth));
            v.AsSpan(r * kvWidth, kvWidth).CopyTo(cache.Values(layer, s).AsSpan(p * kvWidth));
        }
        var context = new float[n * qWidth];   // [N, heads·D]
        float scale = Scale;
        int group = Heads / KvHeads;
        Parallelism.For(n * Heads, 4, (start, end) =>
        {
            var scores = new float[layout.MaxLength + 1];
            for (int item = start; item < end; item++)
            {
                int r = item / Heads, h = item % Heads, kvh = h / group;
                int s = layout.Sequence[r], p = layout.Position[r];
                int first = SlidingWindow > 0 ? Math.Max(0, p - SlidingWindow + 1) : ChunkSize > 0 ? p - p % ChunkSize : 0;
                var keys = cache.Keys(layer, s); var values = cache.Values(layer, s);
                var query = new ReadOnlySpan<float>(q, r * qWidth + h * HeadDim, HeadDim);
                float max = float.NegativeInfinity;
                for (int j = first; j <= p; j++)
                {
                    var key = new ReadOnlySpan<float>(keys, j * kvWidth + kvh * HeadDim, HeadDim);
                    scores[j - first] = TensorPrimitives.Dot(query, key) * scale;   // SIMD order depends only on HeadDim
                    max = MathF.Max(max, scores[j - first]);
                }
                int count = p - first + 1;
                if (Sinks is not null) max = MathF.Max(max, Sinks[h]);
                float sum = 0f;
                for (int j = 0; j < count; j++) { scores[j] = MathF.Exp(scores[j] - max); sum += scores[j]; }
                if (Sinks is not null) sum += MathF.Exp(Sinks[h] - max);
                var output = new Span<float>(context, r * qWidth + h * HeadDim, HeadDim);
                output.Clear();
                for (int j = 0; j < count; j++)
                {
                    float w = scores[j] / sum;
                    var value = new ReadOnlySpan<float>(values, (first + j) * kvWidth + kvh * HeadDim, HeadDim);
                    TensorPrimitives.MultiplyAdd(value, w, output, output);
                }
            }
        });
        O.Apply(context, y, n, precision);
    }
}

/// <summary>
/// Llama 4's attention temperature tuning: the queries of row r are multiplied by
/// log1p(floor((position + 1) / <see cref="FloorScale"/>)) · <see cref="Scale"/> + 1 (1 for positions below FloorScale − 1),
/// so long contexts sharpen the softmax of the layers without position embedding.
/// </summary>
public sealed record QueryTemperature(double FloorScale, double Scale)
{
    /// <summary>q [n, width] scaled in place, row r by its position's factor (fp32, as transformers computes it).</summary>
    public void Apply(Span<float> q, ReadOnlySpan<int> positions, int width)
    {
        for (int r = 0; r < positions.Length; r++)
        {
            float factor = MathF.Log(1f + MathF.Floor((positions[r] + 1f) / (float)FloorScale)) * (float)Scale + 1f;
            if (factor == 1f) continue;
            foreach (ref float v in q.Slice(r * width, width)) v *= factor;
        }
    }
}

