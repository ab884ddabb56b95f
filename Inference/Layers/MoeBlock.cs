using System.Buffers;
using System.Runtime.Intrinsics;
using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Inference.Layers;

/// <summary>A dense SwiGLU expert that every token goes through, scaled by σ(gate · x) (Qwen2-MoE's shared expert).</summary>
public sealed class SharedExpert(SwiGluExperts expert, Linear gate)
{
    internal SwiGluExperts Expert => expert;   // read by the CUDA backend's upload
    internal Linear Gate => gate;

    /// <summary>Adds σ(gate x) · expert(x) to y. x, y [n, H].</summary>
    public void AddTo(ReadOnlySpan<float> x, Span<float> y, int n, Precision precision)
    {
        int hidden = expert.Hidden;
        var output = new float[n * hidden];   // [n, H]
        var g = new float[n];                  // [n, 1]
        expert.Apply(0, x, output, n, precision);
        gate.Apply(x, g, n, precision);
        for (int t = 0; t < n; t++)
        {
            float s = 1f / (1f + MathF.Exp(-g[t]));
            for (int h = 0; h < hidden; h++) y[t * hidden + h] += output[t * hidden + h] * s;
        }
    }
}

/// <summary>
/// A sparse MoE block: router (linear, optional bias) → optional rewrite hook → the architecture's routing →
/// observer hook → the chosen experts, weighted and summed in expert order (so the sum does not depend on
/// threads) → plus the optional shared expert.
/// </summary>
public sealed class MoeBlock(Linear router, IRouting routing, IExpertBank experts, SharedExpert? shared = null)
{
    /// <summary>The router projection [E, H] (with bias for gpt-oss).</summary>
    public Linear Router { get; } = router;
    /// <summary>The routing rule.</summary>
    public IRouting Routing { get; } = routing;
    /// <summary>The experts.</summary>
    public IExpertBank Experts { get; } = experts;
    /// <summary>The shared expert, or null.</summary>
    public SharedExpert? Shared { get; } = shared;

    /// <summary>x [N, H] → y [N, H] (overwritten).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, TokenLayout layout, int layer, IRouterRewrite? rewrite, IRoutingObserver? observer, Precision precision)
    {
        int n = layout.Count, e = Experts.Count, k = Routing.TopK, hidden = Experts.Hidden;
        var logits = new float[n * e];     // [N, E] raw router output
        Router.Apply(x, logits, n, precision);
        float[] scores = logits;
        if (rewrite is not null)
        {
            scores = (float[])logits.Clone();
            rewrite.Rewrite(layer, scores, n, e);
        }
        var index = new int[n * k];        // [N, k]
        var weight = new float[n * k];     // [N, k]
        for (int t = 0; t < n; t++)
            Routing.Route(scores.AsSpan(t * e, e), index.AsSpan(t * k, k), weight.AsSpan(t * k, k));
        observer?.OnRouting(new RoutingBatch(layer, e, k, logits, index, weight, layout.Sequence, layout.Position));

        // The experts only see their own tokens, so the block runs in token chunks that bound the expert output
        // buffer (64 MiB of fp32) whatever the batch.
        int chunkTokens = Math.Max(1, (1 << 24) / (k * hidden));
        unsafe
        {
            fixed (float* px = x, py = y)
                for (int t0 = 0; t0 < n; t0 += chunkTokens)
                    RunExperts(px + (long)t0 * hidden, py + (long)t0 * hidden, index, weight, t0 * k, Math.Min(chunkTokens, n - t0), precision);
        }
        Shared?.AddTo(x, y, n, precision);
    }

    /// <summary>
    /// y[t] = Σ over t's chosen experts, in ascending expert order, of weight · expert(x[t]), for the n tokens whose
    /// choices start at index[first] / weight[first]. Each expert runs once on all its tokens; experts run side by
    /// side on the kernel threads when there are enough of them (each expert's GEMMs then run on one thread), else
    /// one after another with parallel GEMMs. Either way every expert output, and the ordered sum, is the same.
    /// </summary>
    private unsafe void RunExperts(float* x, float* y, int[] index, float[] weight, int first, int n, Precision precision)
    {
        int e = Experts.Count, k = Routing.TopK, hidden = Experts.Hidden, slots = n * k;
        // Counting sort of the choices by expert, tokens ascending within an expert.
        var start = new int[e + 1];                // [E + 1] first row of each expert in `order`
        for (int i = 0; i < slots; i++) start[index[first + i] + 1]++;
        for (int expert = 0; expert < e; expert++) start[expert + 1] += start[expert];
        var order = new int[slots];                // [n·k] choice t·k + j (chunk-relative), grouped by expert
        var rowOf = new int[slots];                // [n·k] the row of choice t·k + j in `order` and `outputs`
        var fill = (int[])start.Clone();
        for (int i = 0; i < slots; i++) { int row = fill[index[first + i]]++; order[row] = i; rowOf[i] = row; }
        var active = Enumerable.Range(0, e).Where(ex => start[ex + 1] > start[ex])
            .OrderByDescending(ex => start[ex + 1] - start[ex]).ToArray();   // largest first: threads finish together

        var outputs = ArrayPool<float>.Shared.Rent(slots * hidden);   // [n·k, H] expert outputs, rows as `order`
        try
        {
            void RunExpert(int expert)
            {
                int r0 = start[expert], rows = start[expert + 1] - r0;
                var input = ArrayPool<float>.Shared.Rent(rows * hidden);   // [n_e, H] the expert's tokens
                try
                {
                    for (int r = 0; r < rows; r++)
                        new ReadOnlySpan<float>(x + (long)(order[r0 + r] / k) * hidden, hidden).CopyTo(input.AsSpan(r * hidden, hidden));
                    Experts.Apply(expert, input.AsSpan(0, rows * hidden), outputs.AsSpan(r0 * hidden, rows * hidden), rows, precision);
                }
                finally { ArrayPool<float>.Shared.Return(input); }
            }
            if (active.Length >= 2 * Parallelism.Threads)
            {
                int next = -1;
                Parallelism.For(Parallelism.Threads, 1, (_, _) =>
                {
                    for (int a; (a = Interlocked.Increment(ref next)) < active.Length;) RunExpert(active[a]);
                });
            }
            else foreach (int expert in active) RunExpert(expert);

            fixed (float* po = outputs)
            {
                float* os = po;
                Parallelism.For(n, Math.Max(1, (1 << 14) / (k * hidden)), (t0, t1) =>
                {
                    Span<int> slot = stackalloc int[k];   // t's choices in ascending expert order
                    for (int t = t0; t < t1; t++)
                    {
                        for (int j = 0; j < k; j++)
                        {
                            int c = t * k + j, p = j;
                            while (p > 0 && index[first + slot[p - 1]] > index[first + c]) { slot[p] = slot[p - 1]; p--; }
                            slot[p] = c;
                        }
                        float* dst = y + (long)t * hidden;
                        new Span<float>(dst, hidden).Clear();
                        for (int j = 0; j < k; j++) AddScaled(os + (long)rowOf[slot[j]] * hidden, weight[first + slot[j]], dst, hidden);
                    }
                });
            }
        }
        finally { ArrayPool<float>.Shared.Return(outputs); }
    }

    /// <summary>dst[h] += src[h] · w, a product then a sum (never fused), so it equals the scalar loop bit for bit.</summary>
    private static unsafe void AddScaled(float* src, float w, float* dst, int count)
    {
        int h = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vw = Vector512.Create(w);
            for (; h + 16 <= count; h += 16) (Vector512.Load(dst + h) + Vector512.Load(src + h) * vw).Store(dst + h);
        }
        for (; h < count; h++) dst[h] += src[h] * w;
    }
}

/// <summary>One decoder layer: x += attn(norm1(x)); x += moe(norm2(x)).</summary>
public sealed class DecoderLayer(INorm attentionNorm, Attention attention, INorm moeNorm, MoeBlock moe)
{
    /// <summary>Norm before attention.</summary>
    public INorm AttentionNorm { get; } = attentionNorm;
    /// <summary>Self-attention.</summary>
    public Attention Attention { get; } = attention;
    /// <summary>Norm before the MoE block.</summary>
    public INorm MoeNorm { get; } = moeNorm;
    /// <summary>The MoE block.</summary>
    public MoeBlock Moe { get; } = moe;
}
