using System.Numerics.Tensors;

namespace SteerMoE.Research.Inference.Kernels;

/// <summary>
/// The production GEMM entry point of the engine: y[t, o] = Σ_i x[t, i] · W[o, i].
/// This first version widens one weight row at a time to fp32 and takes SIMD dot products
/// (TensorPrimitives.Dot), split over output rows; its reduction order depends only on the row length,
/// so results are the same for every thread count. The Kernels work replaces the body with tiled kernels.
/// </summary>
public static unsafe class MatMul
{
    /// <summary>x [tokens, W.Cols] fp32, y [tokens, W.Rows] fp32 (overwritten).</summary>
    public static void Linear(ReadOnlySpan<float> x, in WeightMatrix w, Span<float> y, int tokens, Precision precision = Precision.Exact)
    {
        if (x.Length < tokens * w.Cols || y.Length < tokens * w.Rows)
            throw new ArgumentException($"MatMul.Linear: x needs {tokens}x{w.Cols} values (has {x.Length}), y needs {tokens}x{w.Rows} (has {y.Length}).");
        var weights = w;
        fixed (float* px = x, py = y)
        {
            float* xs = px, ys = py;
            Parallelism.For(w.Rows, 16, (start, end) =>
            {
                var row = new float[weights.Cols];           // [Cols] one weight row widened to fp32
                for (int o = start; o < end; o++)
                {
                    WidenRow(weights, o, row);
                    for (int t = 0; t < tokens; t++)
                        ys[(long)t * weights.Rows + o] = TensorPrimitives.Dot(new ReadOnlySpan<float>(xs + (long)t * weights.Cols, weights.Cols), row);
                }
            });
        }
    }

    /// <summary>Writes W[row, :] as fp32 into <paramref name="dst"/> [Cols].</summary>
    public static void WidenRow(in WeightMatrix w, int row, Span<float> dst)
    {
        long offset = (long)row * w.Cols;
        switch (w.Type)
        {
            case DType.F32:
                new ReadOnlySpan<float>((float*)w.Data + offset, w.Cols).CopyTo(dst);
                break;
            case DType.BF16:
                var bits = new ReadOnlySpan<ushort>((ushort*)w.Data + offset, w.Cols);
                for (int i = 0; i < bits.Length; i++) dst[i] = BitConverter.Int32BitsToSingle(bits[i] << 16);
                break;
            case DType.F16:
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>((Half*)w.Data + offset, w.Cols), dst);
                break;
            default:
                for (int i = 0; i < w.Cols; i++) dst[i] = ReferenceMatMul.Element(w, row, i);
                break;
        }
    }
}
