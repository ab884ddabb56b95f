using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
    /// Two tokens × eight weight rows, Vector512: 16 accumulators, each row loaded and widened once for both tokens
    /// (batched decode over the interleaved layout, whose 8-row group is one stream: a 4-token step reads it from
    /// memory for tokens 0-1 and from cache for tokens 2-3). x: [2, kp] rows xStride floats apart; y[t * yStride + r].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile2x8<TW>(float* x0, long xStride, byte* w0, long wStride, int kp, float* y, long yStride, int nr) where TW : struct, IWeightRows
    {
        // Rows past nr repeat row 0 (valid memory); their results are discarded.
        float* x1 = x0 + xStride;
        byte* w1 = nr > 1 ? w0 + wStride : w0, w2 = nr > 2 ? w0 + 2 * wStride : w0, w3 = nr > 3 ? w0 + 3 * wStride : w0;
        byte* w4 = nr > 4 ? w0 + 4 * wStride : w0, w5 = nr > 5 ? w0 + 5 * wStride : w0, w6 = nr > 6 ? w0 + 6 * wStride : w0;
        byte* w7 = nr > 7 ? w0 + 7 * wStride : w0;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default, c04 = default, c05 = default, c06 = default, c07 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default, c16 = default, c17 = default;
        for (int k = 0; k < kp; k += 16)
        {
            var a0 = Vector512.Load(x0 + k); var a1 = Vector512.Load(x1 + k);
            var b = TW.Load512(w0, k); c00 = Vector512.FusedMultiplyAdd(a0, b, c00); c10 = Vector512.FusedMultiplyAdd(a1, b, c10);
            b = TW.Load512(w1, k); c01 = Vector512.FusedMultiplyAdd(a0, b, c01); c11 = Vector512.FusedMultiplyAdd(a1, b, c11);
            b = TW.Load512(w2, k); c02 = Vector512.FusedMultiplyAdd(a0, b, c02); c12 = Vector512.FusedMultiplyAdd(a1, b, c12);
            b = TW.Load512(w3, k); c03 = Vector512.FusedMultiplyAdd(a0, b, c03); c13 = Vector512.FusedMultiplyAdd(a1, b, c13);
            b = TW.Load512(w4, k); c04 = Vector512.FusedMultiplyAdd(a0, b, c04); c14 = Vector512.FusedMultiplyAdd(a1, b, c14);
            b = TW.Load512(w5, k); c05 = Vector512.FusedMultiplyAdd(a0, b, c05); c15 = Vector512.FusedMultiplyAdd(a1, b, c15);
            b = TW.Load512(w6, k); c06 = Vector512.FusedMultiplyAdd(a0, b, c06); c16 = Vector512.FusedMultiplyAdd(a1, b, c16);
            b = TW.Load512(w7, k); c07 = Vector512.FusedMultiplyAdd(a0, b, c07); c17 = Vector512.FusedMultiplyAdd(a1, b, c17);
        }
        StoreRow(y, nr, Reduce(c00), Reduce(c01), Reduce(c02), Reduce(c03));
        if (nr > 4) StoreRow(y + 4, nr - 4, Reduce(c04), Reduce(c05), Reduce(c06), Reduce(c07));
        StoreRow(y + yStride, nr, Reduce(c10), Reduce(c11), Reduce(c12), Reduce(c13));
        if (nr > 4) StoreRow(y + yStride + 4, nr - 4, Reduce(c14), Reduce(c15), Reduce(c16), Reduce(c17));
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
