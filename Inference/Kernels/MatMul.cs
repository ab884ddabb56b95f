using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SteerMoE.Research.Inference.Kernels;

/// <summary>The instruction set the managed kernels run on (tests force the fallbacks).</summary>
public enum KernelIsa
{
    /// <summary>AVX-512 (Vector512): register-blocked 4×4 and 1×8 tiles.</summary>
    Vector512,
    /// <summary>AVX2 (Vector256) pairs, one output at a time.</summary>
    Vector256,
    /// <summary>Plain scalar code.</summary>
    Scalar,
}

/// <summary>
/// The production GEMM entry point of the engine: y[t, o] = Σ_i x[t, i] · W[o, i].
/// <para><b>exact</b>: fp32 activations, weights widened to fp32 in the kernel, fp32 accumulation in the canonical
/// order of <see cref="MicroKernels"/> (16 lanes, fixed lane tree). Work is split over output rows only, so
/// y[t, o] is bit-identical for every thread count, every token count (a token alone or in a batch of 512) and
/// every <see cref="KernelIsa"/>. Large batches pack a block of weight rows widened to fp32 (MXFP4 dequantised
/// there, one block at a time, never the whole matrix) that stays in L2 while 4-token groups stream past it;
/// decode (≤ 4 tokens) reads bf16/fp32 weights directly and widens them in registers.</para>
/// <para><b>fast</b>: inputs rounded to bf16 (ties to even), fp32 accumulation. BF16 weights go to oneDNN's
/// <c>dnnl_gemm_bf16bf16f32</c> when libdnnl is installed (<see cref="FastBackend"/> says which is used), except
/// for 2-4 tokens; other weights, or no libdnnl, run the managed kernel on bf16-rounded x and W.</para>
/// </summary>
public static unsafe class MatMul
{
    private const int SmallBatch = 4;          // tokens up to which weights are read in place (decode)
    private const int BlockBytes = 192 * 1024; // packed fp32 weight block per thread: stays in L2
    private const int DecodeChunkCols = 512;   // batched decode on interleaved weights: 8 rows x 512 columns (8 KiB) stay in L1

    /// <summary>The instruction set of the managed kernels (default: the best the machine has).</summary>
    public static KernelIsa Isa { get; set; } =
        Vector512.IsHardwareAccelerated ? KernelIsa.Vector512 : Vector256.IsHardwareAccelerated ? KernelIsa.Vector256 : KernelIsa.Scalar;

    /// <summary>What runs `fast` GEMMs on BF16 weights: oneDNN (with version) or the managed kernel.</summary>
    public static string FastBackend => OneDnn.Available ? OneDnn.Description : $"managed kernel on bf16-rounded inputs ({OneDnn.Description})";

    /// <summary>x [tokens, W.Cols] fp32, y [tokens, W.Rows] fp32 (overwritten).</summary>
    public static void Linear(ReadOnlySpan<float> x, in WeightMatrix w, Span<float> y, int tokens, Precision precision = Precision.Exact)
    {
        if (tokens < 0) throw new ArgumentException($"MatMul.Linear: tokens must be at least 0, got {tokens}.");
        if (x.Length < (long)tokens * w.Cols || y.Length < (long)tokens * w.Rows)
            throw new ArgumentException($"MatMul.Linear: x needs {tokens}x{w.Cols} values (has {x.Length}), y needs {tokens}x{w.Rows} (has {y.Length}).");
        if (tokens == 0 || w.Rows == 0) return;
        fixed (float* px = x, py = y)
        {
            if (w.Cols == 0) { new Span<float>(py, tokens * w.Rows).Clear(); return; }
            // 2-4 tokens (batched decode): the managed kernel reads bf16 weights in place and outran oneDNN's
            // small-M GEMM by 2.6-5.8x (`bench --repeat 9`, best runs); one token and larger batches go to oneDNN.
            // An interleaved matrix decodes faster in the managed kernel than oneDNN could on rows copied out each step.
            bool oneDnn = tokens > SmallBatch || (tokens == 1 && !w.Interleaved);
            if (precision == Precision.Fast && w.Type == DType.BF16 && OneDnn.Available && oneDnn) FastOneDnn(px, w, py, tokens);
            else Managed(px, w, py, tokens, roundToBf16: precision == Precision.Fast);
        }
    }

    /// <summary>The managed kernel (both modes); <paramref name="roundToBf16"/> rounds x and W to bf16 first.</summary>
    internal static void Managed(float* x, in WeightMatrix w, float* y, int tokens, bool roundToBf16)
    {
        int cols = w.Cols, kp = (cols + 15) & ~15;   // kp: row length padded with zeros to whole 16-lane steps
        bool padX = kp != cols || roundToBf16;
        bool inPlace = tokens <= SmallBatch && kp == cols && (w.Type == DType.BF16 || (w.Type == DType.F32 && !roundToBf16));
        bool interleaved = w.Interleaved;   // implies BF16 and kp == cols
        float* xs = x;                               // [tokens, kp] (or x itself: [tokens, cols] with cols == kp)
        if (padX)
        {
            xs = (float*)NativeMemory.AlignedAlloc((nuint)((long)tokens * kp * 4), 64);
            for (int t = 0; t < tokens; t++)
            {
                float* dst = xs + (long)t * kp;
                Buffer.MemoryCopy(x + (long)t * cols, dst, (long)cols * 4, (long)cols * 4);
                new Span<float>(dst + cols, kp - cols).Clear();
                if (roundToBf16) BFloat16Rounding.Round(dst, dst, cols);
            }
        }
        try
        {
            var weights = w;
            int isa = (int)Isa;
            int groups = (w.Rows + 7) / 8;                                     // units of work: 8 output rows
            int minGroups = Math.Max(1, (1 << 18) / Math.Max(1, 8 * tokens * kp)); // ≥ 256k FMAs a thread
            Parallelism.For(groups, minGroups, (g0, g1) =>
            {
                int r0 = g0 * 8, r1 = Math.Min(weights.Rows, g1 * 8);
                if (inPlace && interleaved)
                {
                    // One group of 8 rows at a time: its rows lie 32 bytes apart, the group one contiguous stream.
                    long groupBytes = (long)WeightMatrix.InterleavedRows * cols * 2;
                    const int rowStride = Bf16InterleavedRows.RowStride;
                    Vector512<float>* acc = stackalloc Vector512<float>[16 * (SmallBatch / 2)];   // [token pair][2 tokens x 8 rows]
                    for (int g = g0; g < g1; g++)
                    {
                        int r = g * WeightMatrix.InterleavedRows, n = Math.Min(WeightMatrix.InterleavedRows, weights.Rows - r);
                        byte* group = (byte*)weights.Data + g * groupBytes;
                        if (isa != (int)KernelIsa.Vector512) { Block<Bf16InterleavedRows>(isa, xs, kp, tokens, group, rowStride, n, y + r, weights.Rows); continue; }
                        if (tokens == 1) { MicroKernels.Tile1x8<Bf16InterleavedRows>(xs, group, rowStride, kp, y + r, n); continue; }
                        // Token pairs (2 x 8 tiles) over one L1-sized chunk of columns after another: the chunk comes from
                        // memory for the first pair and from L1 for the next, and the last pair asks for the next chunk.
                        // An odd last token goes alone over the whole group (1 x 8), from L2.
                        const int chunkBytes = WeightMatrix.InterleavedRows * DecodeChunkCols * 2;
                        int pairs = tokens / 2;
                        new Span<Vector512<float>>(acc, 16 * pairs).Clear();
                        for (int k0 = 0; k0 < kp; k0 += DecodeChunkCols)
                        {
                            int k1 = Math.Min(kp, k0 + DecodeChunkCols);
                            for (int pr = 0; pr < pairs; pr++)
                                MicroKernels.Tile2x8Interleaved(xs + (long)2 * pr * kp, kp, group, k0, k1, acc + 16 * pr,
                                    prefetchAhead: pr == pairs - 1 ? chunkBytes : 0);
                        }
                        for (int pr = 0; pr < pairs; pr++)
                        {
                            float* yt = y + (long)2 * pr * weights.Rows + r;
                            MicroKernels.StoreRows8(acc + 16 * pr, yt, n);
                            MicroKernels.StoreRows8(acc + 16 * pr + 8, yt + weights.Rows, n);
                        }
                        if ((tokens & 1) != 0)
                            MicroKernels.Tile1x8<Bf16InterleavedRows>(xs + (long)(tokens - 1) * kp, group, rowStride, kp, y + (long)(tokens - 1) * weights.Rows + r, n);
                    }
                    return;
                }
                if (inPlace)
                {
                    long stride = (long)cols * (weights.Type == DType.BF16 ? 2 : 4);
                    byte* rows = (byte*)weights.Data + r0 * stride;
                    if (weights.Type == DType.BF16) Block<Bf16Rows>(isa, xs, kp, tokens, rows, stride, r1 - r0, y + r0, weights.Rows, streamAhead: true);
                    else Block<F32Rows>(isa, xs, kp, tokens, rows, stride, r1 - r0, y + r0, weights.Rows, streamAhead: true);
                    return;
                }
                int blockRows = Math.Clamp(BlockBytes / (kp * 4) / 8 * 8, 8, 256);
                float* panel = PanelBuffer((long)blockRows * kp);            // [blockRows, kp] fp32
                for (int rb = r0; rb < r1; rb += blockRows)
                {
                    int n = Math.Min(blockRows, r1 - rb);
                    for (int r = 0; r < n; r++) WidenRow(weights, rb + r, panel + (long)r * kp, kp, roundToBf16);
                    Block<F32Rows>(isa, xs, kp, tokens, (byte*)panel, (long)kp * 4, n, y + rb, weights.Rows);
                }
            });
        }
        finally
        {
            if (padX) NativeMemory.AlignedFree(xs);
        }
    }

    /// <summary>
    /// y[t, r] (row stride yStride) for all tokens and n weight rows (wStride bytes apart): 4-token groups outer,
    /// so a group's rows [4, kp] stay in L1 while the weight rows stream from L2 or memory.
    /// <para><paramref name="streamAhead"/> (weights read in place, once, from memory): each tile first asks for the
    /// next tile's rows (non-temporal prefetch), so that their loads overlap this tile's arithmetic.</para>
    /// </summary>
    private static void Block<TW>(int isa, float* xs, int kp, int tokens, byte* w, long wStride, int n, float* y, long yStride, bool streamAhead = false)
        where TW : struct, IWeightRows
    {
        if (isa == (int)KernelIsa.Vector512)
        {
            for (int t = 0; t < tokens; t += 4)
            {
                int mr = Math.Min(4, tokens - t), step = mr == 1 ? 8 : 4;
                float* xt = xs + (long)t * kp, yt = y + t * yStride;
                for (int r = 0; r < n; r += step)
                {
                    if (streamAhead && r + step < n) MicroKernels.StreamAhead(w + (r + step) * wStride, Math.Min(step, n - r - step) * wStride);
                    if (mr == 1) MicroKernels.Tile1x8<TW>(xt, w + r * wStride, wStride, kp, yt + r, Math.Min(8, n - r));
                    else MicroKernels.Tile4x4<TW>(xt, kp, mr, w + r * wStride, wStride, Math.Min(4, n - r), kp, yt + r, yStride);
                }
            }
            return;
        }
        if (isa == (int)KernelIsa.Vector256)
        {
            // The same 4-token groups; one token takes 4 rows a tile, 2-4 tokens share each row they read.
            for (int t = 0; t < tokens; t += 4)
            {
                int mr = Math.Min(4, tokens - t), step = mr == 1 ? 4 : 1;
                float* xt = xs + (long)t * kp, yt = y + t * yStride;
                for (int r = 0; r < n; r += step)
                {
                    if (streamAhead && r + step < n) MicroKernels.StreamAhead(w + (r + step) * wStride, Math.Min(step, n - r - step) * wStride);
                    if (mr == 1) MicroKernels.Tile1x4x256<TW>(xt, w + r * wStride, wStride, kp, yt + r, Math.Min(4, n - r));
                    else MicroKernels.Tile4x1x256<TW>(xt, kp, mr, w + r * wStride, yt + r, yStride);
                }
            }
            return;
        }
        for (int t = 0; t < tokens; t++)
            for (int r = 0; r < n; r++)
                y[t * yStride + r] = MicroKernels.DotScalar<TW>(xs + (long)t * kp, w + r * wStride, kp);
    }

    /// <summary>
    /// `fast` on BF16 weights: x rounded to bf16, then oneDNN's bf16 GEMM against W as stored. Our workers split the
    /// work into fixed tiles and each calls oneDNN single-threaded on its tiles: one threading runtime (OpenMP's
    /// spinning team beside .NET's workers oversubscribes the cores), and every output computed by the same
    /// single-threaded call shape whatever the thread count. Tiles are 256 output rows by all tokens; a matrix of
    /// at most 256 rows (a router) would be one tile on one thread, so it is split into 128-token blocks instead,
    /// each rounding its own tokens so that they are still in cache when the GEMM reads them. oneDNN takes row-major
    /// weights: an interleaved matrix gives each tile its rows row-major first (a small matrix whole, a 256-row slice
    /// into the thread's buffer: 2·Cols bytes a row copied against 2·tokens·Cols FLOPs computed on it).
    /// </summary>
    private static void FastOneDnn(float* x, in WeightMatrix w, float* y, int tokens)
    {
        const int Slice = 256, TokenBlock = 128;
        int rows = w.Rows, cols = w.Cols;
        var weights = w;
        ushort* data = (ushort*)w.Data;
        ushort* xb = (ushort*)NativeMemory.AlignedAlloc((nuint)((long)tokens * cols * 2), 64);   // [tokens, cols] bf16
        ushort* rowMajor = null;                                                                     // [rows, cols] bf16, a small interleaved matrix
        try
        {
            if (rows <= Slice)
            {
                if (w.Interleaved)
                {
                    rowMajor = (ushort*)NativeMemory.AlignedAlloc((nuint)((long)rows * cols * 2), 64);
                    w.CopyRowsBf16(0, rows, rowMajor);
                    data = rowMajor;
                }
                int blocks = (tokens + TokenBlock - 1) / TokenBlock;
                int minBlocks = Math.Max(1, (1 << 18) / Math.Max(1, TokenBlock * rows * cols));   // ≥ 256k FMAs a thread
                Parallelism.For(blocks, minBlocks, (b0, b1) =>
                {
                    for (int b = b0; b < b1; b++)
                    {
                        int t0 = b * TokenBlock, m = Math.Min(TokenBlock, tokens - t0);
                        BFloat16Rounding.ToBits(x + (long)t0 * cols, xb + (long)t0 * cols, (long)m * cols);
                        OneDnn.GemmBf16(xb + (long)t0 * cols, data, y + (long)t0 * rows, m, rows, cols, ldy: rows, threads: 1);
                    }
                });
                return;
            }
            Parallelism.For(tokens, Math.Max(1, (1 << 16) / cols), (t0, t1) =>
                BFloat16Rounding.ToBits(x + (long)t0 * cols, xb + (long)t0 * cols, (long)(t1 - t0) * cols));
            int slices = (rows + Slice - 1) / Slice;
            int minSlices = Math.Max(1, (1 << 18) / Math.Max(1, Slice * tokens * cols));
            Parallelism.For(slices, minSlices, (s0, s1) =>
            {
                for (int s = s0; s < s1; s++)
                {
                    int r0 = s * Slice, n = Math.Min(Slice, rows - r0);
                    ushort* slice = data + (long)r0 * cols;
                    if (weights.Interleaved)
                    {
                        slice = (ushort*)PanelBuffer((long)Slice * cols / 2 + 1);   // [n, cols] bf16 in the thread's panel
                        weights.CopyRowsBf16(r0, n, slice);
                    }
                    OneDnn.GemmBf16(xb, slice, y + r0, tokens, n, cols, ldy: rows, threads: 1);
                }
            });
        }
        finally
        {
            NativeMemory.AlignedFree(xb);
            if (rowMajor != null) NativeMemory.AlignedFree(rowMajor);
        }
    }

    /// <summary>Writes W[row, :] as fp32 into <paramref name="dst"/> [Cols].</summary>
    public static void WidenRow(in WeightMatrix w, int row, Span<float> dst)
    {
        if (dst.Length < w.Cols) throw new ArgumentException($"WidenRow: dst needs {w.Cols} values, has {dst.Length}.");
        fixed (float* p = dst) WidenRow(w, row, p, w.Cols, roundToBf16: false);
    }

    /// <summary>W[row, :] as fp32 into dst [kp], zeros past Cols; optionally rounded to bf16.</summary>
    private static void WidenRow(in WeightMatrix w, int row, float* dst, int kp, bool roundToBf16)
    {
        int cols = w.Cols;
        long offset = (long)row * cols;
        switch (w.Type)
        {
            case DType.F32:
                Buffer.MemoryCopy((float*)w.Data + offset, dst, (long)cols * 4, (long)cols * 4);
                if (roundToBf16) BFloat16Rounding.Round(dst, dst, cols);
                break;
            case DType.BF16 when w.Interleaved:
                byte* first = (byte*)w.Data + WeightMatrix.InterleavedOffset(row, 0, cols);
                for (int k = 0; k < cols; k += 16) Bf16InterleavedRows.Load512(first, k).Store(dst + k);
                break;
            case DType.BF16:
                WidenBf16((ushort*)w.Data + offset, dst, cols);
                break;
            case DType.F16:
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>((Half*)w.Data + offset, cols), new Span<float>(dst, cols));
                if (roundToBf16) BFloat16Rounding.Round(dst, dst, cols);
                break;
            case DType.Mxfp4:
                // e2m1 · 2^k is exact in bf16, so rounding changes nothing here.
                DequantiseMxfp4((byte*)w.Data + offset / 2, (byte*)w.Scales + offset / 32, dst, cols);
                break;
            default:
                throw new NotSupportedException($"MatMul: weight dtype {w.Type}.");
        }
        for (int i = cols; i < kp; i++) dst[i] = 0f;
    }

    private static void WidenBf16(ushort* src, float* dst, int n)
    {
        int i = 0;
        for (; i + 16 <= n; i += 16) Bf16Rows.Load512((byte*)src, i).Store(dst + i);
        for (; i < n; i++) dst[i] = Bf16Rows.Load1((byte*)src, i);
    }

    /// <summary>One MXFP4 row: blocks of 32 values (16 bytes, low nibble first) times 2^(scale − 127).</summary>
    private static void DequantiseMxfp4(byte* blocks, byte* scales, float* dst, int cols)
    {
        ReadOnlySpan<float> fp4 = ReferenceMatMul.Fp4E2M1;
        for (int b = 0; b < cols / 32; b++)
        {
            float scale = MathF.ScaleB(1f, scales[b] - 127);
            byte* src = blocks + b * 16;
            float* d = dst + b * 32;
            for (int j = 0; j < 16; j++)
            {
                d[2 * j] = fp4[src[j] & 0xF] * scale;
                d[2 * j + 1] = fp4[src[j] >> 4] * scale;
            }
        }
    }

    [ThreadStatic] private static nint _panel;
    [ThreadStatic] private static long _panelLength;

    /// <summary>This thread's packing buffer of at least n floats, 64-byte aligned (kept for the thread's life).</summary>
    private static float* PanelBuffer(long n)
    {
        if (_panelLength < n)
        {
            if (_panel != 0) NativeMemory.AlignedFree((void*)_panel);
            _panel = (nint)NativeMemory.AlignedAlloc((nuint)(n * 4), 64);
            _panelLength = n;
        }
        return (float*)_panel;
    }
}
