using System.Buffers;
using System.Runtime.Intrinsics;
using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Inference.Layers;

/// <summary>
/// A dense SwiGLU expert that every token goes through, scaled by σ(gate · x) when it has a gate (Qwen2-MoE's
/// shared expert), added as it is without one (DeepSeek's shared experts, one SwiGLU of n_shared_experts × the
/// expert width).
/// </summary>
public sealed class SharedExpert(SwiGluExperts expert, Linear? gate)
{
    internal SwiGluExperts Expert => expert;   // read by the CUDA backend's upload
    internal Linear? Gate => gate;

    /// <summary>Adds σ(gate x) · expert(x) (ungated: expert(x)) to y. x, y [n, H].</summary>
    public void AddTo(ReadOnlySpan<float> x, Span<float> y, int n, Precision precision)
    {
        int hidden = expert.Hidden;
        var output = new float[n * hidden];   // [n, H]
        expert.Apply(0, x, output, n, precision);
        if (gate is null)
        {
            for (int i = 0; i < n * hidden; i++) y[i] += output[i];
            return;
        }
        var g = new float[n];                  // [n, 1]
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
public sealed class MoeBlock(Linear router, IRouting routing, IExpertBank experts, SharedExpert? shared = null, bool weightsScaleInputs = false)
{
    /// <summary>
    /// The routing weight multiplies the expert's input, y = Σ expert(w · x), instead of its output, y = Σ w · expert(x)
    /// (Llama 4; the experts are nonlinear, so the two differ).
    /// </summary>
    public bool WeightsScaleInputs { get; } = weightsScaleInputs;
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
        var index = new int[n * k];        // [N, k]
        var weight = new float[n * k];     // [N, k]
        if (Routing is ISelectionRouting selecting && rewrite?.Target != RewriteTarget.RouterLogits)
        {
            // The rewrite sits on the score the top-k ranks (docs/CONTRACTS.md §3); the weights come from the logits.
            // With RewriteTarget.RouterLogits the branch below rewrites the logits and the routing scores them as usual.
            var selection = new float[n * e];   // [N, E]
            for (int t = 0; t < n; t++) selecting.SelectionScores(logits.AsSpan(t * e, e), selection.AsSpan(t * e, e));
            rewrite?.Rewrite(layer, selection, n, e);
            for (int t = 0; t < n; t++)
                selecting.Select(logits.AsSpan(t * e, e), selection.AsSpan(t * e, e), index.AsSpan(t * k, k), weight.AsSpan(t * k, k));
        }
        else
        {
            float[] scores = logits;
            if (rewrite is not null)
            {
                scores = (float[])logits.Clone();
                rewrite.Rewrite(layer, scores, n, e);
            }
            for (int t = 0; t < n; t++)
                Routing.Route(scores.AsSpan(t * e, e), index.AsSpan(t * k, k), weight.AsSpan(t * k, k));
        }
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
                    {
                        var row = input.AsSpan(r * hidden, hidden);
                        new ReadOnlySpan<float>(x + (long)(order[r0 + r] / k) * hidden, hidden).CopyTo(row);
                        if (WeightsScaleInputs) foreach (ref float v in row) v *= weight[first + order[r0 + r]];
                    }
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
                        for (int j = 0; j < k; j++) AddScaled(os + (long)rowOf[slot[j]] * hidden, WeightsScaleInputs ? 1f : weight[first + slot[j]], dst, hidden);
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

/// <summary>
/// One decoder layer: x += attn(norm1(x)); x += ffn(norm2(x)), the feed-forward block being either an MoE block
/// (<see cref="Moe"/>) or, in the dense layers of interleaved models, a dense MLP (<see cref="DenseMlp"/>).
/// </summary>
public sealed class DecoderLayer
{
    /// <summary>A layer with an MoE block.</summary>
    public DecoderLayer(INorm attentionNorm, ISelfAttention attention, INorm moeNorm, MoeBlock moe)
    {
        AttentionNorm = attentionNorm; Attention = attention; MoeNorm = moeNorm; Moe = moe;
    }

    /// <summary>A dense layer (no router, no experts).</summary>
    public DecoderLayer(INorm attentionNorm, ISelfAttention attention, INorm mlpNorm, SwiGluMlp mlp)
    {
        AttentionNorm = attentionNorm; Attention = attention; MoeNorm = mlpNorm; DenseMlp = mlp;
    }

    /// <summary>Norm before attention.</summary>
    public INorm AttentionNorm { get; }
    /// <summary>Self-attention (standard or latent).</summary>
    public ISelfAttention Attention { get; }
    /// <summary>Norm before the feed-forward block (MoE or dense).</summary>
    public INorm MoeNorm { get; }
    /// <summary>The MoE block, or null in a dense layer.</summary>
    public MoeBlock? Moe { get; }
    /// <summary>The dense MLP of a dense layer, or null in an MoE layer.</summary>
    public SwiGluMlp? DenseMlp { get; }

    /// <summary>The feed-forward block: x [N, H] → y [N, H] (overwritten); only an MoE block calls the routing hooks.</summary>
    public void FeedForward(ReadOnlySpan<float> x, Span<float> y, TokenLayout layout, int layer, IRouterRewrite? rewrite, IRoutingObserver? observer, Precision precision)
    {
        if (Moe is { } moe) moe.Forward(x, y, layout, layer, rewrite, observer, precision);
        else DenseMlp!.Apply(x, y, layout.Count, precision);
    }
}

/// <summary>A dense SwiGLU MLP, down(silu(gate x) · up x) (the dense layers of interleaved MoE models).</summary>
public sealed class SwiGluMlp(WeightMatrix gate, WeightMatrix up, WeightMatrix down)
{
    private readonly SwiGluExperts _mlp = new([gate], [up], [down]);

    /// <summary>Intermediate size.</summary>
    public int Intermediate => _mlp.Intermediate;

    /// <summary>x [n, H] → y [n, H].</summary>
    public void Apply(ReadOnlySpan<float> x, Span<float> y, int n, Precision precision) => _mlp.Apply(0, x, y, n, precision);
}
