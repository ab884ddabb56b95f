using SteerMoE.Research.Inference.Kernels;

namespace SteerMoE.Research.Inference.Checkpoints;

/// <summary>Widening of stored tensor elements to fp32 / int64 (copies: for small tensors and reference data).</summary>
public static unsafe class TensorConvert
{
    /// <summary>Every element of a stored tensor as fp32 (exact for F32, BF16, F16 and small integers).</summary>
    public static float[] ToSingle(TensorInfo t, void* data)
    {
        long n = t.ElementCount;
        var result = new float[n];
        for (long i = 0; i < n; i++)
            result[i] = t.Type switch
            {
                DType.F32 => ((float*)data)[i],
                DType.BF16 => ReferenceMatMul.BFloat16ToSingle(((ushort*)data)[i]),
                DType.F16 => (float)((Half*)data)[i],
                DType.F64 => (float)((double*)data)[i],
                DType.I64 => ((long*)data)[i],
                DType.I32 => ((int*)data)[i],
                DType.I16 => ((short*)data)[i],
                DType.I8 => ((sbyte*)data)[i],
                DType.U64 => ((ulong*)data)[i],
                DType.U32 => ((uint*)data)[i],
                DType.U16 => ((ushort*)data)[i],
                DType.U8 or DType.Bool => ((byte*)data)[i],
                _ => throw new InvalidDataException($"{t.Source}: tensor '{t.Name}': dtype {t.Type} cannot be read as numbers."),
            };
        return result;
    }

    /// <summary>Every element of an integer (or BOOL) tensor as int64; float tensors are rejected.</summary>
    public static long[] ToInt64(TensorInfo t, void* data)
    {
        long n = t.ElementCount;
        var result = new long[n];
        for (long i = 0; i < n; i++)
            result[i] = t.Type switch
            {
                DType.I64 => ((long*)data)[i],
                DType.I32 => ((int*)data)[i],
                DType.I16 => ((short*)data)[i],
                DType.I8 => ((sbyte*)data)[i],
                DType.U64 => checked((long)((ulong*)data)[i]),
                DType.U32 => ((uint*)data)[i],
                DType.U16 => ((ushort*)data)[i],
                DType.U8 or DType.Bool => ((byte*)data)[i],
                _ => throw new InvalidDataException($"{t.Source}: tensor '{t.Name}' has dtype {SafetensorsFile.DTypeName(t.Type)}, expected an integer dtype."),
            };
        return result;
    }
}
