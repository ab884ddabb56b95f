namespace SteerMoE.Research.Inference.Kernels;

/// <summary>
/// The plain scalar reference every GEMM kernel is tested against: y[t, o] = Σ_i x[t, i] · W[o, i],
/// fp32 accumulation in increasing i. Slow on purpose: clarity over speed.
/// </summary>
public static unsafe class ReferenceMatMul
{
    /// <summary>x [tokens, Cols] fp32, y [tokens, Rows] fp32 (overwritten).</summary>
    public static void Linear(ReadOnlySpan<float> x, in WeightMatrix w, Span<float> y, int tokens)
    {
        if (x.Length < tokens * w.Cols || y.Length < tokens * w.Rows)
            throw new ArgumentException($"Linear: x needs {tokens}x{w.Cols}, y needs {tokens}x{w.Rows}.");
        for (int t = 0; t < tokens; t++)
            for (int o = 0; o < w.Rows; o++)
            {
                float acc = 0f;
                for (int i = 0; i < w.Cols; i++) acc += x[t * w.Cols + i] * Element(w, o, i);
                y[t * w.Rows + o] = acc;
            }
    }

    /// <summary>W[row, col] widened to fp32.</summary>
    public static float Element(in WeightMatrix w, int row, int col)
    {
        long idx = (long)row * w.Cols + col;
        switch (w.Type)
        {
            case DType.F32: return ((float*)w.Data)[idx];
            case DType.BF16 when w.Interleaved: return BFloat16ToSingle(*(ushort*)((byte*)w.Data + WeightMatrix.InterleavedOffset(row, col, w.Cols)));
            case DType.BF16: return BFloat16ToSingle(((ushort*)w.Data)[idx]);
            case DType.F16: return (float)((Half*)w.Data)[idx];
            case DType.Mxfp4:
                byte packed = ((byte*)w.Data)[idx / 2];
                int nibble = (idx & 1) == 0 ? packed & 0xF : packed >> 4;
                int scale = ((byte*)w.Scales)[idx / 32];
                return Fp4E2M1[nibble] * MathF.ScaleB(1f, scale - 127);
            default: throw new NotSupportedException($"Element: dtype {w.Type}.");
        }
    }

    /// <summary>The 16 FP4 (e2m1) values; the top bit of a nibble is the sign.</summary>
    public static ReadOnlySpan<float> Fp4E2M1 => [0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f, -0f, -0.5f, -1f, -1.5f, -2f, -3f, -4f, -6f];

    /// <summary>bf16 bits to fp32 (exact: bf16 is the top half of an fp32).</summary>
    public static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);
}
