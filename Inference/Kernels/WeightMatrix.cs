using System.Runtime.Intrinsics;

namespace SteerMoE.Research.Inference.Kernels;

/// <summary>
/// A read-only weight matrix W [Rows = out features, Cols = in features], row-major, kept in its stored
/// dtype (usually memory-mapped checkpoint data). For <see cref="DType.Mxfp4"/>, <see cref="Data"/> holds
/// the blocks [Rows, Cols/32, 16] bytes and <see cref="Scales"/> the exponents [Rows, Cols/32] bytes
/// (value = fp4 * 2^(scale - 127)). The memory must outlive every use (the model owns it).
/// <para><see cref="Interleaved"/> (BF16 only, Cols a multiple of 16): the decode layout a loaded CPU model keeps its
/// BF16 matrices in (<see cref="Interleave"/>). Rows are taken in groups of 8; a group stores, for each block of 16
/// columns in turn, its 8 rows' 16 values (8 × 16 bf16 = 256 bytes), so a one-token product over 8 rows reads one
/// contiguous stream instead of 8 rows 2·Cols bytes apart; the last group is padded with zero rows.</para>
/// </summary>
public readonly unsafe struct WeightMatrix
{
    /// <summary>Wraps stored data.</summary>
    public WeightMatrix(DType type, void* data, int rows, int cols, void* scales = null, bool interleaved = false)
    {
        if (interleaved && (type != DType.BF16 || cols % InterleavedCols != 0))
            throw new ArgumentException($"WeightMatrix: the interleaved layout needs BF16 and Cols divisible by {InterleavedCols} (got {type}, {cols}).");
        if (type is not (DType.F32 or DType.BF16 or DType.F16 or DType.Mxfp4))
            throw new ArgumentException($"WeightMatrix: dtype {type} is not a weight dtype (F32, BF16, F16, MXFP4).");
        if (type == DType.Mxfp4 && (cols % 32 != 0 || scales == null))
            throw new ArgumentException("WeightMatrix: MXFP4 needs Cols divisible by 32 and a scales pointer.");
        Type = type; Data = data; Rows = rows; Cols = cols; Scales = scales; Interleaved = interleaved;
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
    /// <summary>True for the interleaved decode layout (see the type's remarks); false for row-major.</summary>
    public bool Interleaved { get; }

    /// <summary>Rows per group of the interleaved layout.</summary>
    public const int InterleavedRows = 8;
    /// <summary>Columns per block of the interleaved layout.</summary>
    public const int InterleavedCols = 16;

    /// <summary>Bytes of a BF16 [rows, cols] matrix in the interleaved layout (rows padded to a multiple of 8).</summary>
    public static long InterleavedBytes(int rows, int cols) => (long)(rows + InterleavedRows - 1) / InterleavedRows * InterleavedRows * cols * 2;

    /// <summary>Byte offset of element [row, col] in the interleaved layout of a matrix with <paramref name="cols"/> columns.</summary>
    public static long InterleavedOffset(int row, int col, int cols) =>
        ((long)(row / InterleavedRows) * InterleavedRows * cols + (long)(col / InterleavedCols) * InterleavedRows * InterleavedCols
         + row % InterleavedRows * InterleavedCols + col % InterleavedCols) * 2;

    /// <summary>
    /// Writes this row-major BF16 matrix in the interleaved layout into <paramref name="destination"/>
    /// (<see cref="InterleavedBytes"/> bytes) and returns the view of it; groups of rows are copied in parallel.
    /// </summary>
    public WeightMatrix Interleave(void* destination)
    {
        if (Type != DType.BF16 || Interleaved || Cols % InterleavedCols != 0)
            throw new InvalidOperationException($"WeightMatrix.Interleave: needs a row-major BF16 matrix with Cols divisible by {InterleavedCols} (got {Type}, {Cols}, interleaved {Interleaved}).");
        ushort* src = (ushort*)Data, dst = (ushort*)destination;
        int rows = Rows, cols = Cols, groups = (rows + InterleavedRows - 1) / InterleavedRows;
        Parallelism.For(groups, Math.Max(1, (1 << 16) / cols), (g0, g1) =>
        {
            // Each block of 16 bf16 is one 32-byte vector; the group is written in order, once.
            for (int g = g0; g < g1; g++)
            {
                ushort* to = dst + (long)g * InterleavedRows * cols;
                for (int b = 0; b < cols; b += InterleavedCols)
                    for (int j = 0; j < InterleavedRows; j++, to += InterleavedCols)
                    {
                        int row = g * InterleavedRows + j;
                        (row < rows ? Vector256.Load(src + (long)row * cols + b) : Vector256<ushort>.Zero).Store(to);
                    }
            }
        });
        return new WeightMatrix(DType.BF16, destination, rows, cols, interleaved: true);
    }

    /// <summary>
    /// BF16 rows [first, first + count) written row-major into <paramref name="destination"/> (count × Cols values),
    /// from either layout (oneDNN and the CUDA upload take row-major rows).
    /// </summary>
    public void CopyRowsBf16(int first, int count, ushort* destination)
    {
        if (Type != DType.BF16 || first < 0 || count < 0 || first + count > Rows)
            throw new ArgumentException($"WeightMatrix.CopyRowsBf16: rows {first}..{first + count - 1} of a {Type} matrix with {Rows} rows.");
        if (!Interleaved) { Buffer.MemoryCopy((ushort*)Data + (long)first * Cols, destination, (long)count * Cols * 2, (long)count * Cols * 2); return; }
        for (int r = 0; r < count; r++)
        {
            byte* from = (byte*)Data + InterleavedOffset(first + r, 0, Cols);
            ushort* to = destination + (long)r * Cols;
            for (int b = 0; b < Cols; b += InterleavedCols, from += InterleavedRows * InterleavedCols * 2)
                Vector256.Load((ushort*)from).Store(to + b);
        }
    }

    /// <summary>Rows [first, first + count) as a matrix over the same data (F32, BF16, F16 only).</summary>
    public WeightMatrix RowRange(int first, int count)
    {
        int size = Type switch
        {
            DType.F32 => 4, DType.BF16 or DType.F16 => 2,
            _ => throw new NotSupportedException($"WeightMatrix.RowRange: {Type} rows are not addressable one by one."),
        };
        if (first < 0 || count < 0 || first + count > Rows) throw new ArgumentOutOfRangeException(nameof(first), $"WeightMatrix.RowRange: rows {first}..{first + count - 1} of {Rows}.");
        if (!Interleaved) return new WeightMatrix(Type, (byte*)Data + (long)first * Cols * size, count, Cols);
        // Interleaved: whole groups of 8 rows only (a view's rows past count are never read out).
        if (first % InterleavedRows != 0) throw new NotSupportedException($"WeightMatrix.RowRange: an interleaved matrix splits at multiples of {InterleavedRows} rows, not at row {first}.");
        return new WeightMatrix(Type, (byte*)Data + InterleavedOffset(first, 0, Cols), count, Cols, interleaved: true);
    }
}
