namespace SteerMoE.Research.Inference.Kernels;

/// <summary>
/// A read-only weight matrix W [Rows = out features, Cols = in features], row-major, kept in its stored
/// dtype (usually memory-mapped checkpoint data). For <see cref="DType.Mxfp4"/>, <see cref="Data"/> holds
/// the blocks [Rows, Cols/32, 16] bytes and <see cref="Scales"/> the exponents [Rows, Cols/32] bytes
/// (value = fp4 * 2^(scale - 127)). The memory must outlive every use (the model owns it).
/// </summary>
public readonly unsafe struct WeightMatrix
{
    /// <summary>Wraps stored data.</summary>
    public WeightMatrix(DType type, void* data, int rows, int cols, void* scales = null)
    {
        if (type is not (DType.F32 or DType.BF16 or DType.F16 or DType.Mxfp4))
            throw new ArgumentException($"WeightMatrix: dtype {type} is not a weight dtype (F32, BF16, F16, MXFP4).");
        if (type == DType.Mxfp4 && (cols % 32 != 0 || scales == null))
            throw new ArgumentException("WeightMatrix: MXFP4 needs Cols divisible by 32 and a scales pointer.");
        Type = type; Data = data; Rows = rows; Cols = cols; Scales = scales;
    }

    /// <summary>Stored element type.</summary>
    public DType Type { get; }
    /// <summary>Start of the stored elements (MXFP4: the blocks).</summary>
    public void* Data { get; }
    /// <summary>MXFP4 scale bytes; null for the other dtypes.</summary>
    public void* Scales { get; }
    /// <summary>Output features.</summary>
    public int Rows { get; }
    /// <summary>Input features.</summary>
    public int Cols { get; }

    /// <summary>Rows [first, first + count) as a matrix over the same data (F32, BF16, F16 only).</summary>
    public WeightMatrix RowRange(int first, int count)
    {
        int size = Type switch
        {
            DType.F32 => 4, DType.BF16 or DType.F16 => 2,
            _ => throw new NotSupportedException($"WeightMatrix.RowRange: {Type} rows are not addressable one by one."),
        };
        if (first < 0 || count < 0 || first + count > Rows) throw new ArgumentOutOfRangeException(nameof(first), $"WeightMatrix.RowRange: rows {first}..{first + count - 1} of {Rows}.");
        return new WeightMatrix(Type, (byte*)Data + (long)first * Cols * size, count, Cols);
    }
}
