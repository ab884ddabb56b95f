using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SteerMoE.Research.Inference.Kernels;

/// <summary>
/// The register-blocked inner kernels of <see cref="MatMul"/>. Every output y[t, o] is computed in one canonical
/// order, whatever the kernel, the tile position, the token count or the thread count: 16 lanes, lane j
/// accumulating x[t, i]·W[o, i] for i ≡ j (mod 16) in increasing i with fused multiply-adds, then the lanes
/// summed as a fixed tree (j + 8, then + 4, then + 2, then + 1). The Vector256 and scalar fallbacks keep the
/// same 16 lanes, so results are bit-identical on machines with and without AVX-512.
/// Lengths (<c>kp</c>) are multiples of 16; callers pad with zeros.
/// </summary>
internal static unsafe class MicroKernels
{
    /// <summary>
    /// Four tokens × four weight rows, Vector512: 16 accumulators, 8 loads per 16 FMAs.
    /// x holds mr token rows [kp] fp32 (xStride floats apart), w holds nr weight rows (wStride bytes apart);
    /// y[t * yStride + r] receives the mr × nr results. Missing tokens/rows repeat the first (valid memory) and
    /// their results are discarded.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile4x4<TW>(float* x, long xStride, int mr, byte* w, long wStride, int nr, int kp, float* y, long yStride)
        where TW : struct, IWeightRows
    {
        float* x0 = x, x1 = mr > 1 ? x + xStride : x, x2 = mr > 2 ? x + 2 * xStride : x, x3 = mr > 3 ? x + 3 * xStride : x;
        byte* w0 = w, w1 = nr > 1 ? w + wStride : w, w2 = nr > 2 ? w + 2 * wStride : w, w3 = nr > 3 ? w + 3 * wStride : w;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        for (int k = 0; k < kp; k += 16)
        {
            var b0 = TW.Load512(w0, k); var b1 = TW.Load512(w1, k); var b2 = TW.Load512(w2, k); var b3 = TW.Load512(w3, k);
            var a = Vector512.Load(x0 + k);
            c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(a, b2, c02); c03 = Vector512.FusedMultiplyAdd(a, b3, c03);
            a = Vector512.Load(x1 + k);
            c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(a, b2, c12); c13 = Vector512.FusedMultiplyAdd(a, b3, c13);
            a = Vector512.Load(x2 + k);
            c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(a, b2, c22); c23 = Vector512.FusedMultiplyAdd(a, b3, c23);
            a = Vector512.Load(x3 + k);
            c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(a, b2, c32); c33 = Vector512.FusedMultiplyAdd(a, b3, c33);
        }
        StoreRow(y, nr, Reduce(c00), Reduce(c01), Reduce(c02), Reduce(c03));
        if (mr > 1) StoreRow(y + yStride, nr, Reduce(c10), Reduce(c11), Reduce(c12), Reduce(c13));
        if (mr > 2) StoreRow(y + 2 * yStride, nr, Reduce(c20), Reduce(c21), Reduce(c22), Reduce(c23));
        if (mr > 3) StoreRow(y + 3 * yStride, nr, Reduce(c30), Reduce(c31), Reduce(c32), Reduce(c33));
    }

    /// <summary>One token × eight weight rows, Vector512 (decode and token remainders): 8 independent chains.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile1x8<TW>(float* x0, byte* w0, long wStride, int kp, float* y, int nr) where TW : struct, IWeightRows
    {
        // Rows past nr repeat row 0 (valid memory); their results are discarded.
        byte* w1 = nr > 1 ? w0 + wStride : w0, w2 = nr > 2 ? w0 + 2 * wStride : w0, w3 = nr > 3 ? w0 + 3 * wStride : w0;
        byte* w4 = nr > 4 ? w0 + 4 * wStride : w0, w5 = nr > 5 ? w0 + 5 * wStride : w0, w6 = nr > 6 ? w0 + 6 * wStride : w0;
        byte* w7 = nr > 7 ? w0 + 7 * wStride : w0;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int k = 0; k < kp; k += 16)
        {
            var a = Vector512.Load(x0 + k);
            c0 = Vector512.FusedMultiplyAdd(a, TW.Load512(w0, k), c0); c1 = Vector512.FusedMultiplyAdd(a, TW.Load512(w1, k), c1);
            c2 = Vector512.FusedMultiplyAdd(a, TW.Load512(w2, k), c2); c3 = Vector512.FusedMultiplyAdd(a, TW.Load512(w3, k), c3);
            c4 = Vector512.FusedMultiplyAdd(a, TW.Load512(w4, k), c4); c5 = Vector512.FusedMultiplyAdd(a, TW.Load512(w5, k), c5);
            c6 = Vector512.FusedMultiplyAdd(a, TW.Load512(w6, k), c6); c7 = Vector512.FusedMultiplyAdd(a, TW.Load512(w7, k), c7);
        }
        StoreRow(y, nr, Reduce(c0), Reduce(c1), Reduce(c2), Reduce(c3));
        if (nr > 4) StoreRow(y + 4, nr - 4, Reduce(c4), Reduce(c5), Reduce(c6), Reduce(c7));
    }

    /// <summary>
    /// Two tokens × the eight rows of one group of the interleaved layout (<see cref="WeightMatrix.Interleaved"/>), over
    /// columns [k0, k1) only: the 16 accumulators acc[t * 8 + r] are loaded, carried on in increasing k, and stored
    /// back, so a row's sum split over column ranges keeps the canonical order (batched decode walks a group in
    /// L1-sized column chunks, every token pair over one chunk before the next: the weights come from memory once).
    /// x: [2, kp] rows xStride floats apart; group: the group's first byte. <paramref name="prefetchAhead"/> &gt; 0 asks,
    /// per 256-byte block, for the block that many bytes further on (the next chunk, read by the next call).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile2x8Interleaved(float* x0, long xStride, byte* group, int k0, int k1, Vector512<float>* acc, int prefetchAhead)
    {
        const int Block = Bf16InterleavedRows.BlockStride, Row = Bf16InterleavedRows.RowStride / 2;   // bytes; ushorts
        float* x1 = x0 + xStride;
        Vector512<float> c00 = acc[0], c01 = acc[1], c02 = acc[2], c03 = acc[3], c04 = acc[4], c05 = acc[5], c06 = acc[6], c07 = acc[7];
        Vector512<float> c10 = acc[8], c11 = acc[9], c12 = acc[10], c13 = acc[11], c14 = acc[12], c15 = acc[13], c16 = acc[14], c17 = acc[15];
        byte* p = group + (long)(k0 >> 4) * Block;   // the block of columns k..k+15: row r's 16 values at r * 32 bytes
        for (int k = k0; k < k1; k += 16, p += Block)
        {
            if (prefetchAhead > 0) StreamAhead(p + prefetchAhead, Block);
            var a0 = Vector512.Load(x0 + k); var a1 = Vector512.Load(x1 + k);
            var b = Bf16Rows.Load512(p, 0); c00 = Vector512.FusedMultiplyAdd(a0, b, c00); c10 = Vector512.FusedMultiplyAdd(a1, b, c10);
            b = Bf16Rows.Load512(p, Row); c01 = Vector512.FusedMultiplyAdd(a0, b, c01); c11 = Vector512.FusedMultiplyAdd(a1, b, c11);
            b = Bf16Rows.Load512(p, 2 * Row); c02 = Vector512.FusedMultiplyAdd(a0, b, c02); c12 = Vector512.FusedMultiplyAdd(a1, b, c12);
            b = Bf16Rows.Load512(p, 3 * Row); c03 = Vector512.FusedMultiplyAdd(a0, b, c03); c13 = Vector512.FusedMultiplyAdd(a1, b, c13);
            b = Bf16Rows.Load512(p, 4 * Row); c04 = Vector512.FusedMultiplyAdd(a0, b, c04); c14 = Vector512.FusedMultiplyAdd(a1, b, c14);
            b = Bf16Rows.Load512(p, 5 * Row); c05 = Vector512.FusedMultiplyAdd(a0, b, c05); c15 = Vector512.FusedMultiplyAdd(a1, b, c15);
            b = Bf16Rows.Load512(p, 6 * Row); c06 = Vector512.FusedMultiplyAdd(a0, b, c06); c16 = Vector512.FusedMultiplyAdd(a1, b, c16);
            b = Bf16Rows.Load512(p, 7 * Row); c07 = Vector512.FusedMultiplyAdd(a0, b, c07); c17 = Vector512.FusedMultiplyAdd(a1, b, c17);
        }
        acc[0] = c00; acc[1] = c01; acc[2] = c02; acc[3] = c03; acc[4] = c04; acc[5] = c05; acc[6] = c06; acc[7] = c07;
        acc[8] = c10; acc[9] = c11; acc[10] = c12; acc[11] = c13; acc[12] = c14; acc[13] = c15; acc[14] = c16; acc[15] = c17;
    }

    /// <summary>y[r] = the canonical lane sum of acc[r] for r &lt; nr (the first nr of 8 accumulators).</summary>
    public static void StoreRows8(Vector512<float>* acc, float* y, int nr)
    {
        StoreRow(y, nr, Reduce(acc[0]), Reduce(acc[1]), Reduce(acc[2]), Reduce(acc[3]));
        if (nr > 4) StoreRow(y + 4, nr - 4, Reduce(acc[4]), Reduce(acc[5]), Reduce(acc[6]), Reduce(acc[7]));
    }

    /// <summary>Asks for the cache lines of [start, start + bytes) without keeping them in the caches (read once).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StreamAhead(byte* start, long bytes)
    {
        if (!Sse.IsSupported) return;
        for (long at = 0; at < bytes; at += 64) Sse.PrefetchNonTemporal(start + at);
    }

    /// <summary>
    /// One token × four rows with Vector256 pairs, the kernels without AVX-512: per row the canonical 16 lanes (0-7 in
    /// l, 8-15 in h, each accumulating in increasing k) and lane tree, so the same bits as the Vector512 tiles; x is
    /// loaded once for the four rows, and eight FMA chains run side by side.
    /// </summary>
    public static void Tile1x4x256<TW>(float* x, byte* w0, long wStride, int kp, float* y, int nr) where TW : struct, IWeightRows
    {
        // Rows past nr repeat row 0 (valid memory); their results are discarded.
        byte* w1 = nr > 1 ? w0 + wStride : w0, w2 = nr > 2 ? w0 + 2 * wStride : w0, w3 = nr > 3 ? w0 + 3 * wStride : w0;
        Vector256<float> l0 = default, h0 = default, l1 = default, h1 = default, l2 = default, h2 = default, l3 = default, h3 = default;
        for (int k = 0; k < kp; k += 16)
        {
            var xl = Vector256.Load(x + k);
            var xh = Vector256.Load(x + k + 8);
            l0 = Vector256.FusedMultiplyAdd(xl, TW.Load256(w0, k), l0); h0 = Vector256.FusedMultiplyAdd(xh, TW.Load256(w0, k + 8), h0);
            l1 = Vector256.FusedMultiplyAdd(xl, TW.Load256(w1, k), l1); h1 = Vector256.FusedMultiplyAdd(xh, TW.Load256(w1, k + 8), h1);
            l2 = Vector256.FusedMultiplyAdd(xl, TW.Load256(w2, k), l2); h2 = Vector256.FusedMultiplyAdd(xh, TW.Load256(w2, k + 8), h2);
            l3 = Vector256.FusedMultiplyAdd(xl, TW.Load256(w3, k), l3); h3 = Vector256.FusedMultiplyAdd(xh, TW.Load256(w3, k + 8), h3);
        }
        StoreRow(y, nr, Reduce(l0 + h0), Reduce(l1 + h1), Reduce(l2 + h2), Reduce(l3 + h3));
    }

    /// <summary>
    /// Up to four tokens × one row with Vector256 pairs: per token the canonical lanes and lane tree (as
    /// <see cref="Tile1x4x256{TW}"/>), with the row loaded and widened once for all the tokens (batched decode reads
    /// each weight once).
    /// x: [mr, kp] rows kp apart; y: the tokens' outputs yStride apart.
    /// </summary>
    public static void Tile4x1x256<TW>(float* x, int kp, int mr, byte* w, float* y, long yStride) where TW : struct, IWeightRows
    {
        // Tokens past mr repeat token 0; their results are discarded.
        float* x1 = mr > 1 ? x + kp : x, x2 = mr > 2 ? x + 2 * kp : x, x3 = mr > 3 ? x + 3 * kp : x;
        Vector256<float> l0 = default, h0 = default, l1 = default, h1 = default, l2 = default, h2 = default, l3 = default, h3 = default;
        for (int k = 0; k < kp; k += 16)
        {
            var wl = TW.Load256(w, k);
            var wh = TW.Load256(w, k + 8);
            l0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + k), wl, l0); h0 = Vector256.FusedMultiplyAdd(Vector256.Load(x + k + 8), wh, h0);
            l1 = Vector256.FusedMultiplyAdd(Vector256.Load(x1 + k), wl, l1); h1 = Vector256.FusedMultiplyAdd(Vector256.Load(x1 + k + 8), wh, h1);
            l2 = Vector256.FusedMultiplyAdd(Vector256.Load(x2 + k), wl, l2); h2 = Vector256.FusedMultiplyAdd(Vector256.Load(x2 + k + 8), wh, h2);
            l3 = Vector256.FusedMultiplyAdd(Vector256.Load(x3 + k), wl, l3); h3 = Vector256.FusedMultiplyAdd(Vector256.Load(x3 + k + 8), wh, h3);
        }
        y[0] = Reduce(l0 + h0);
        if (mr > 1) y[yStride] = Reduce(l1 + h1);
        if (mr > 2) y[2 * yStride] = Reduce(l2 + h2);
        if (mr > 3) y[3 * yStride] = Reduce(l3 + h3);
    }

    /// <summary>One token × one row in scalar code with the same 16 lanes: the fallback without SIMD.</summary>
    public static float DotScalar<TW>(float* x, byte* w, int kp) where TW : struct, IWeightRows
    {
        float* lanes = stackalloc float[16];
        for (int j = 0; j < 16; j++) lanes[j] = 0f;
        for (int k = 0; k < kp; k += 16)
            for (int j = 0; j < 16; j++) lanes[j] = MathF.FusedMultiplyAdd(x[k + j], TW.Load1(w, k + j), lanes[j]);
        for (int j = 0; j < 8; j++) lanes[j] += lanes[j + 8];
        for (int j = 0; j < 4; j++) lanes[j] += lanes[j + 4];
        return (lanes[0] + lanes[2]) + (lanes[1] + lanes[3]);
    }

    /// <summary>The canonical lane tree: (j, j+8), then (j, j+4), then (0+2) + (1+3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reduce(Vector512<float> a) => Reduce(a.GetLower() + a.GetUpper());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Reduce(Vector256<float> h)
    {
        var q = h.GetLower() + h.GetUpper();
        return (q.GetElement(0) + q.GetElement(2)) + (q.GetElement(1) + q.GetElement(3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* y, int nr, float v0, float v1, float v2, float v3)
    {
        y[0] = v0;
        if (nr > 1) y[1] = v1;
        if (nr > 2) y[2] = v2;
        if (nr > 3) y[3] = v3;
    }
}
