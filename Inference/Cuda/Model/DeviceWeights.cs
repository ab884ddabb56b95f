using SteerMoE.Research.Inference.Cuda.Driver;
using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Layers;

namespace SteerMoE.Research.Inference.Cuda.Model;

/// <summary>A weight matrix [Rows, Cols] row-major in device memory, BF16 or F32, inside a (possibly shared) buffer.</summary>
internal readonly record struct DeviceMatrix(DeviceBuffer Buffer, long Offset, DType Type, int Rows, int Cols)
{
    public ulong Pointer => Buffer.Pointer + (ulong)Offset;
    public long Elements => (long)Rows * Cols;
}

internal sealed record DeviceNorm(DeviceBuffer Weight, DeviceBuffer? Bias, float Eps, int Dim);
internal sealed record DeviceLinear(DeviceMatrix Weight, DeviceBuffer? Bias);
internal sealed record DeviceAttention(DeviceLinear Q, DeviceLinear K, DeviceLinear V, DeviceLinear O, DeviceNorm? QNorm, DeviceNorm? KNorm,
    DeviceBuffer? Sinks, Attention Source);

internal enum ExpertKind { SwiGlu, ClampedSwiGlu }
internal enum RoutingKind { SoftmaxTopK, TopKSoftmax, SparseMixer }

/// <summary>The experts of one layer: SwiGLU gate/up/down [E] or gpt-oss gate_up/down [E] with biases [E, 2I], [E, H].</summary>
internal sealed record DeviceExperts(ExpertKind Kind, DeviceMatrix[] First, DeviceMatrix[]? Up, DeviceMatrix[] Down,
    DeviceBuffer? FirstBias, DeviceBuffer? DownBias, int Count, int Hidden, int Intermediate);

internal sealed record DeviceMoe(DeviceLinear Router, RoutingKind Routing, bool Renormalize, float JitterEps, int TopK, DeviceExperts Experts,
    DeviceExperts? Shared, DeviceLinear? SharedGate);

internal sealed record DeviceLayer(DeviceNorm AttentionNorm, DeviceAttention Attention, DeviceNorm MoeNorm, DeviceMoe Moe);

/// <summary>
/// Copies the CPU engine's layer graph (built once by the architecture: one description of each model) to the GPU.
/// Weights keep their stored dtype where the GPU GEMMs take it (BF16, F32); F16 is widened to F32 and MXFP4 is
/// dequantised to BF16 (exact: an e2m1 value times a power of two fits bf16). Norm weights, biases, sinks: fp32.
/// </summary>
internal static unsafe class WeightUpload
{
    public static DeviceBuffer Floats(float[] values, string what)
    {
        var buffer = DeviceBuffer.Allocate((long)values.Length * 4, what);
        fixed (float* p = values) CudaDriver.Check(CudaDriver.Functions.cuMemcpyHtoDAsync(buffer.Pointer, p, (nuint)(values.Length * 4), 0), $"cuMemcpyHtoD({what})");
        return buffer;
    }

    private static DType DeviceType(DType stored) => stored switch
    {
        DType.BF16 or DType.Mxfp4 => DType.BF16,
        DType.F32 or DType.F16 => DType.F32,
        _ => throw new NotSupportedException($"CUDA backend: weight dtype {stored} is not supported."),
    };

    private static long Bytes(in WeightMatrix w) => (long)w.Rows * w.Cols * (DeviceType(w.Type) == DType.BF16 ? 2 : 4);

    /// <summary>Uploads matrices into one buffer, back to back.</summary>
    public static DeviceMatrix[] Matrices(IReadOnlyList<WeightMatrix> matrices, string what)
    {
        long total = 0;
        foreach (var m in matrices) total += Bytes(m);
        var buffer = DeviceBuffer.Allocate(total, what);
        var result = new DeviceMatrix[matrices.Count];
        long offset = 0;
        for (int i = 0; i < matrices.Count; i++)
        {
            var m = matrices[i];
            Copy(m, buffer.Pointer + (ulong)offset, what);
            result[i] = new DeviceMatrix(buffer, offset, DeviceType(m.Type), m.Rows, m.Cols);
            offset += Bytes(m);
        }
        return result;
    }

    public static DeviceMatrix Matrix(WeightMatrix m, string what) => Matrices([m], what)[0];

    private static void Copy(in WeightMatrix m, ulong destination, string what)
    {
        if ((m.Type is DType.BF16 or DType.F32) && !m.Interleaved)
        {
            CudaDriver.Check(CudaDriver.Functions.cuMemcpyHtoDAsync(destination, m.Data, (nuint)Bytes(m), 0), $"cuMemcpyHtoD({what}, {Bytes(m)} bytes)");
            return;
        }
        // F16 → F32 rows, MXFP4 → BF16 rows (the upper half of the exact fp32 value), interleaved BF16 → row-major
        // BF16 rows, a block of rows at a time
        bool toBf16 = DeviceType(m.Type) == DType.BF16;
        int rowsPerBlock = Math.Max(1, (1 << 22) / Math.Max(1, m.Cols));
        var row = new float[m.Cols];
        int elementSize = toBf16 ? 2 : 4;
        var block = new byte[(long)rowsPerBlock * m.Cols * elementSize];
        for (int start = 0; start < m.Rows; start += rowsPerBlock)
        {
            int count = Math.Min(rowsPerBlock, m.Rows - start);
            fixed (byte* b = block)
            {
                if (m.Interleaved) m.CopyRowsBf16(start, count, (ushort*)b);   // the stored bf16 bits, row-major
                else for (int r = 0; r < count; r++)
                {
                    MatMul.WidenRow(m, start + r, row);
                    if (toBf16)
                    {
                        ushort* dst = (ushort*)b + (long)r * m.Cols;
                        for (int c = 0; c < m.Cols; c++) dst[c] = (ushort)(BitConverter.SingleToUInt32Bits(row[c]) >> 16);
                    }
                    else row.AsSpan().CopyTo(new Span<float>((float*)b + (long)r * m.Cols, m.Cols));
                }
                CudaDriver.Check(CudaDriver.Functions.cuMemcpyHtoDAsync(destination + (ulong)((long)start * m.Cols * elementSize), b, (nuint)((long)count * m.Cols * elementSize), 0),
                    $"cuMemcpyHtoD({what}, rows {start}..{start + count - 1})");
            }
        }
    }

    public static DeviceNorm Norm(INorm norm, string what) => norm switch
    {
        RmsNorm r => new DeviceNorm(Floats(r.Weight, what), null, r.Eps, r.Dim),
        LayerNorm l => new DeviceNorm(Floats(l.Weight, what), Floats(l.Bias, what + " bias"), l.Eps, l.Dim),
        _ => throw new NotSupportedException($"CUDA backend: norm {norm.GetType().Name} ({what}) has no GPU kernel."),
    };

    public static DeviceLinear Linear(Linear linear, string what) =>
        new(Matrix(linear.Weight, what), linear.Bias is { } b ? Floats(b, what + " bias") : null);

    public static DeviceLayer Layer(DecoderLayer layer, int index)
    {
        string p = $"layer {index}";
        // Latent attention (DeepSeek), dense layers between MoE layers and the group-limited / sigmoid routers have no GPU
        // kernels yet: such models run on the CPU engine.
        if (layer.Attention is not Attention a)
            throw new NotSupportedException($"CUDA backend: {p}: attention {layer.Attention.GetType().Name} has no GPU kernel; run this model with --device cpu.");
        if (a.Rotary is null || a.PostRotaryNorm is not null || a.ChunkSize > 0 || a.Temperature is not null)
            throw new NotSupportedException($"CUDA backend: {p}: attention without rotary, with a post-rotary norm, chunked or with temperature tuning (Llama 4) has no GPU kernel; run with --device cpu.");
        if (a.Rotary.HeadDim != a.HeadDim)
            throw new NotSupportedException($"CUDA backend: {p}: partial rotary ({a.Rotary.HeadDim} of {a.HeadDim} dimensions per head) has no GPU kernel; run with --device cpu.");
        if (layer.Moe is not { } moe)
            throw new NotSupportedException($"CUDA backend: {p} is a dense layer (no MoE block); interleaved dense/MoE models have no GPU path yet; run with --device cpu.");
        var attention = new DeviceAttention(Linear(a.Q, p + " q"), Linear(a.K, p + " k"), Linear(a.V, p + " v"), Linear(a.O, p + " o"),
            a.QNorm is { } qn ? Norm(qn, p + " q norm") : null, a.KNorm is { } kn ? Norm(kn, p + " k norm") : null,
            a.Sinks is { } s ? Floats(s, p + " sinks") : null, a);
        var (routing, renormalize, eps) = moe.Routing switch
        {
            SoftmaxTopKRouting st => (RoutingKind.SoftmaxTopK, st.Renormalize, 0f),
            TopKSoftmaxRouting => (RoutingKind.TopKSoftmax, false, 0f),
            SparseMixerRouting sm => (RoutingKind.SparseMixer, false, sm.JitterEps),
            var other => throw new NotSupportedException($"CUDA backend: routing {other.GetType().Name} ({p}) has no GPU kernel."),
        };
        DeviceExperts? shared = null; DeviceLinear? sharedGate = null;
        if (moe.WeightsScaleInputs)
            throw new NotSupportedException($"CUDA backend: {p}: routing weights on the experts' inputs (Llama 4) have no GPU kernel; run with --device cpu.");
        if (moe.Shared is { } se)
        {
            if (se.Gate is null) throw new NotSupportedException($"CUDA backend: {p}: an ungated shared expert has no GPU kernel; run with --device cpu.");
            shared = Experts(se.Expert, p + " shared expert"); sharedGate = Linear(se.Gate, p + " shared expert gate");
        }
        return new DeviceLayer(Norm(layer.AttentionNorm, p + " attention norm"), attention, Norm(layer.MoeNorm, p + " moe norm"),
            new DeviceMoe(Linear(moe.Router, p + " router"), routing, renormalize, eps, moe.Routing.TopK, Experts(moe.Experts, p + " experts"), shared, sharedGate));
    }

    private static DeviceExperts Experts(IExpertBank bank, string what)
    {
        switch (bank)
        {
            case SwiGluExperts s:
            {
                var (gate, up, down) = s.Matrices;
                return new DeviceExperts(ExpertKind.SwiGlu, Matrices(gate, what + " gate"), Matrices(up, what + " up"), Matrices(down, what + " down"),
                    null, null, s.Count, s.Hidden, s.Intermediate);
            }
            case ClampedSwiGluExperts c:
            {
                var (gateUp, gateUpBias, down, downBias) = c.Matrices;
                return new DeviceExperts(ExpertKind.ClampedSwiGlu, Matrices(gateUp, what + " gate_up"), null, Matrices(down, what + " down"),
                    Floats(gateUpBias.SelectMany(b => b).ToArray(), what + " gate_up bias"), Floats(downBias.SelectMany(b => b).ToArray(), what + " down bias"),
                    c.Count, c.Hidden, gateUp[0].Rows / 2);
            }
            default: throw new NotSupportedException($"CUDA backend: experts {bank.GetType().Name} ({what}) have no GPU kernel.");
        }
    }
}
