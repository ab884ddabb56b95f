using System.Numerics.Tensors;
using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Inference.Layers;

/// <summary>How multi-head latent attention computes from its compressed cache (<see cref="LoadOptions.LatentAttention"/>).</summary>
public enum LatentAttentionPath
{
    /// <summary>
    /// Decompress: every cached latent goes through kv_b_proj to per-head keys [k_nope | k_pe] and values, then standard
    /// attention (transformers' formula, its order of operations). The default.
    /// </summary>
    Decompressed = 0,
    /// <summary>
    /// Absorbed weights: the query's nope part is projected into the latent space through W_UK (q̃ = W_UKᵀ q_nope), scores
    /// are q̃ · c + q_pe · k_pe against the cached latents c directly, and the softmax-weighted latent goes out through
    /// W_UV. Nothing is decompressed: per cached token the work is kv_lora_rank + rope instead of heads × (nope + v) ×
    /// kv_lora_rank. The same function, another rounding (tested against <see cref="Decompressed"/>).
    /// </summary>
    Absorbed = 1,
}

/// <summary>
/// Multi-head latent attention (DeepSeek-V2/V3). Queries: q_proj, or q_b_proj(norm(q_a_proj x)) with a q_lora_rank
/// bottleneck, per head [nope | rope]. Keys and values: kv_a_proj_with_mqa x = [c (kv_lora_rank) | k_pe (rope)], c
/// normalised (kv_a_layernorm), k_pe rotated (adjacent pairs) and shared by every head; kv_b_proj c = per head
/// [k_nope | v]. The KV cache holds only [c | k_pe] per token (<see cref="ModelConfig.CacheWidths"/>). Softmax scale
/// 1/√(nope + rope), times mscale² under YaRN with mscale_all_dim.
/// </summary>
public sealed class LatentAttention : ISelfAttention
{
    private readonly float[] _uk;   // [heads, nope, kvLora] W_UK rows of kv_b_proj, fp32 (absorbed path)
    private readonly float[] _uv;   // [heads, v, kvLora] W_UV rows of kv_b_proj, fp32 (absorbed path)

    /// <summary>Assembles the block; exactly one of <paramref name="q"/> or (<paramref name="qA"/>, <paramref name="qANorm"/>, <paramref name="qB"/>) is given.</summary>
    public LatentAttention(Linear? q, Linear? qA, INorm? qANorm, Linear? qB, Linear kvA, INorm kvANorm, Linear kvB, Linear o,
        int heads, LatentAttentionShape shape, RotaryEmbedding rotary, float scale, LatentAttentionPath path)
    {
        if ((q is null) == (qA is null || qANorm is null || qB is null))
            throw new ArgumentException("latent attention: give q_proj, or q_a_proj, q_a_layernorm and q_b_proj.");
        Q = q; QA = qA; QANorm = qANorm; QB = qB; KvA = kvA; KvANorm = kvANorm; KvB = kvB; O = o;
        Heads = heads; Shape = shape; Rotary = rotary; Scale = scale; Path = path;
        int nope = shape.NopeHeadDim, v = shape.ValueHeadDim, rank = shape.KvLoraRank;
        _uk = new float[heads * nope * rank];
        _uv = new float[heads * v * rank];
        if (path == LatentAttentionPath.Absorbed)
            for (int h = 0; h < heads; h++)
            {
                for (int i = 0; i < nope; i++) MatMul.WidenRow(kvB.Weight, h * (nope + v) + i, _uk.AsSpan((h * nope + i) * rank, rank));
                for (int i = 0; i < v; i++) MatMul.WidenRow(kvB.Weight, h * (nope + v) + nope + i, _uv.AsSpan((h * v + i) * rank, rank));
            }
    }

    /// <summary>The same block computing by <paramref name="path"/>.</summary>
    public LatentAttention WithPath(LatentAttentionPath path) => new(Q, QA, QANorm, QB, KvA, KvANorm, KvB, O, Heads, Shape, Rotary, Scale, path);

    /// <summary>q_proj [heads·(nope+rope), H], or null with the low-rank query.</summary>
    public Linear? Q { get; }
    /// <summary>q_a_proj [q_lora_rank, H], or null.</summary>
    public Linear? QA { get; }
    /// <summary>q_a_layernorm [q_lora_rank], or null.</summary>
    public INorm? QANorm { get; }
    /// <summary>q_b_proj [heads·(nope+rope), q_lora_rank], or null.</summary>
    public Linear? QB { get; }
    /// <summary>kv_a_proj_with_mqa [kv_lora_rank + rope, H].</summary>
    public Linear KvA { get; }
    /// <summary>kv_a_layernorm [kv_lora_rank].</summary>
    public INorm KvANorm { get; }
    /// <summary>kv_b_proj [heads·(nope+v), kv_lora_rank].</summary>
    public Linear KvB { get; }
    /// <summary>o_proj [H, heads·v].</summary>
    public Linear O { get; }
    /// <summary>Query heads.</summary>
    public int Heads { get; }
    /// <summary>The head shapes.</summary>
    public LatentAttentionShape Shape { get; }
    /// <summary>Rotary embedding of the rope parts (HeadDim = qk_rope_head_dim).</summary>
    public RotaryEmbedding Rotary { get; }
    /// <summary>Softmax scale.</summary>
    public float Scale { get; }
    /// <summary>Decompressed or absorbed.</summary>
    public LatentAttentionPath Path { get; }

    /// <inheritdoc />
    public void Forward(ReadOnlySpan<float> x, Span<float> y, TokenLayout layout, KvCache cache, int layer, Precision precision)
    {
        int n = layout.Count, nope = Shape.NopeHeadDim, rope = Shape.RopeHeadDim, rank = Shape.KvLoraRank, v = Shape.ValueHeadDim;
        int qd = nope + rope, row = rank + rope;
        var q = new float[n * Heads * qd];          // [N, heads, nope+rope]
        if (Q is not null) Q.Apply(x, q, n, precision);
        else
        {
            var qa = new float[n * QA!.Out];          // [N, q_lora_rank]
            QA.Apply(x, qa, n, precision);
            QANorm!.Apply(qa, qa);
            QB!.Apply(qa, q, n, precision);
        }
        var compressed = new float[n * row];         // [N, kv_lora_rank + rope] = [c | k_pe]
        KvA.Apply(x, compressed, n, precision);
        var c = new float[n * rank];                 // [N, kv_lora_rank]
        var kpe = new float[n * rope];               // [N, rope]
        var qpe = new float[n * Heads * rope];       // [N, heads, rope]
        for (int r = 0; r < n; r++)
        {
            compressed.AsSpan(r * row, rank).CopyTo(c.AsSpan(r * rank));
            compressed.AsSpan(r * row + rank, rope).CopyTo(kpe.AsSpan(r * rope));
            for (int h = 0; h < Heads; h++) q.AsSpan((r * Heads + h) * qd + nope, rope).CopyTo(qpe.AsSpan((r * Heads + h) * rope));
        }
        KvANorm.Apply(c, c);
        Rotary.Apply(kpe, 1, layout.Position, layout.MaxLength);
        Rotary.Apply(qpe, Heads, layout.Position, layout.MaxLength);
        for (int r = 0; r < n; r++)
        {
            for (int h = 0; h < Heads; h++) qpe.AsSpan((r * Heads + h) * rope, rope).CopyTo(q.AsSpan((r * Heads + h) * qd + nope));
            int s = layout.Sequence[r], p = layout.Position[r];
            cache.Reserve(layer, s, p + 1);
            var keys = cache.Keys(layer, s).AsSpan(p * row, row);
            c.AsSpan(r * rank, rank).CopyTo(keys);
            kpe.AsSpan(r * rope, rope).CopyTo(keys[rank..]);
        }

        var context = new float[n * Heads * v];      // [N, heads, v]
        if (Path == LatentAttentionPath.Absorbed) AttendAbsorbed(q, context, layout, cache, layer);
        else AttendDecompressed(q, context, layout, cache, layer, precision);
        O.Apply(context, y, n, precision);
    }

    /// <summary>Per sequence: the cached latents through kv_b_proj to keys [len, heads, nope+rope] and values [len, heads, v], then causal attention.</summary>
    private void AttendDecompressed(float[] q, float[] context, TokenLayout layout, KvCache cache, int layer, Precision precision)
    {
        int nope = Shape.NopeHeadDim, rope = Shape.RopeHeadDim, rank = Shape.KvLoraRank, v = Shape.ValueHeadDim, qd = nope + rope, row = rank + rope;
        var decompressed = new Dictionary<int, (float[] Keys, float[] Values)>();
        for (int r = 0; r < layout.Count; r++)
        {
            int s = layout.Sequence[r], length = layout.Position[r] + 1;   // rows of a sequence come in position order: the last is the longest
            if (r + 1 < layout.Count && layout.Sequence[r + 1] == s) continue;
            var cached = cache.Keys(layer, s);
            var latents = new float[length * rank];                 // [len, kv_lora_rank]
            for (int j = 0; j < length; j++) cached.AsSpan(j * row, rank).CopyTo(latents.AsSpan(j * rank));
            var kv = new float[length * Heads * (nope + v)];         // [len, heads, nope+v]
            KvB.Apply(latents, kv, length, precision);
            var keys = new float[length * Heads * qd];               // [len, heads, nope+rope]
            var values = new float[length * Heads * v];              // [len, heads, v]
            for (int j = 0; j < length; j++)
                for (int h = 0; h < Heads; h++)
                {
                    kv.AsSpan((j * Heads + h) * (nope + v), nope).CopyTo(keys.AsSpan((j * Heads + h) * qd));
                    cached.AsSpan(j * row + rank, rope).CopyTo(keys.AsSpan((j * Heads + h) * qd + nope));
                    kv.AsSpan((j * Heads + h) * (nope + v) + nope, v).CopyTo(values.AsSpan((j * Heads + h) * v));
                }
            decompressed[s] = (keys, values);
        }
        Parallelism.For(layout.Count * Heads, 4, (start, end) =>
        {
            var scores = new float[layout.MaxLength + 1];
            for (int item = start; item < end; item++)
            {
                int r = item / Heads, h = item % Heads, p = layout.Position[r];
                var (keys, values) = decompressed[layout.Sequence[r]];
                var query = new ReadOnlySpan<float>(q, (r * Heads + h) * qd, qd);
                for (int j = 0; j <= p; j++) scores[j] = TensorPrimitives.Dot(query, new ReadOnlySpan<float>(keys, (j * Heads + h) * qd, qd)) * Scale;
                Softmax(scores.AsSpan(0, p + 1));
                var output = new Span<float>(context, (r * Heads + h) * v, v);
                output.Clear();
                for (int j = 0; j <= p; j++) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(values, (j * Heads + h) * v, v), scores[j], output, output);
            }
        });
    }

    /// <summary>Scores and values in the latent space: q̃ = W_UKᵀ q_nope per head, softmax over q̃ · c + q_pe · k_pe, out = W_UV (Σ w c).</summary>
    private void AttendAbsorbed(float[] q, float[] context, TokenLayout layout, KvCache cache, int layer)
    {
        int nope = Shape.NopeHeadDim, rope = Shape.RopeHeadDim, rank = Shape.KvLoraRank, v = Shape.ValueHeadDim, qd = nope + rope, row = rank + rope;
        Parallelism.For(layout.Count * Heads, 4, (start, end) =>
        {
            var scores = new float[layout.MaxLength + 1];
            var absorbed = new float[rank];   // [kv_lora_rank] q̃
            var latent = new float[rank];     // [kv_lora_rank] Σ w c
            for (int item = start; item < end; item++)
            {
                int r = item / Heads, h = item % Heads, p = layout.Position[r];
                var cached = cache.Keys(layer, layout.Sequence[r]);
                var query = new ReadOnlySpan<float>(q, (r * Heads + h) * qd, qd);
                Array.Clear(absorbed);
                for (int i = 0; i < nope; i++) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(_uk, (h * nope + i) * rank, rank), query[i], absorbed, absorbed);
                for (int j = 0; j <= p; j++)
                    scores[j] = (TensorPrimitives.Dot(absorbed, new ReadOnlySpan<float>(cached, j * row, rank))
                        + TensorPrimitives.Dot(query[nope..], new ReadOnlySpan<float>(cached, j * row + rank, rope))) * Scale;
                Softmax(scores.AsSpan(0, p + 1));
                Array.Clear(latent);
                for (int j = 0; j <= p; j++) TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(cached, j * row, rank), scores[j], latent, latent);
                for (int i = 0; i < v; i++) context[(r * Heads + h) * v + i] = TensorPrimitives.Dot(new ReadOnlySpan<float>(_uv, (h * v + i) * rank, rank), latent);
            }
        });
    }

    /// <summary>In-place fp32 softmax, exp(z − max) / Σ.</summary>
    private static void Softmax(Span<float> z)
    {
        float max = float.NegativeInfinity;
        foreach (float s in z) max = MathF.Max(max, s);
        float sum = 0f;
        for (int j = 0; j < z.Length; j++) { z[j] = MathF.Exp(z[j] - max); sum += z[j]; }
        for (int j = 0; j < z.Length; j++) z[j] /= sum;
    }
}
