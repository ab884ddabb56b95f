using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SteerMoE.Research.Inference.Kernels;

/// <summary>
/// How a micro-kernel reads 16 consecutive weights of a row as fp32: straight from fp32 (a packed panel or an
/// F32 matrix) or widened from bf16 on the fly (decode reads bf16 weights once, so it widens in registers
/// instead of packing). Generic over a struct so the JIT specialises each kernel per source at no cost.
/// </summary>
internal unsafe interface IWeightRows
{
    /// <summary>Bytes per stored element.</summary>
    static abstract int ElementSize { get; }
    /// <summary>Elements k..k+15 of the row at <paramref name="row"/> as fp32.</summary>
    static abstract Vector512<float> Load512(byte* row, int k);
    /// <summary>Elements k..k+7 of the row as fp32.</summary>
    static abstract Vector256<float> Load256(byte* row, int k);
    /// <summary>Element k of the row as fp32.</summary>
    static abstract float Load1(byte* row, int k);
}

/// <summary>fp32 rows (packed panels, F32 checkpoints).</summary>
internal readonly unsafe struct F32Rows : IWeightRows
{
    public static int ElementSize => 4;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(byte* row, int k) => Vector512.Load((float*)row + k);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(byte* row, int k) => Vector256.Load((float*)row + k);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* row, int k) => ((float*)row)[k];
}

/// <summary>bf16 rows widened in registers (bf16 is the top half of an fp32: a zero-extend and a shift).</summary>
internal readonly unsafe struct Bf16Rows : IWeightRows
{
    public static int ElementSize => 2;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(byte* row, int k) =>
        Vector512.ShiftLeft(Vector512.WidenLower(Vector256.Load((ushort*)row + k).ToVector512Unsafe()), 16).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(byte* row, int k) =>
        Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load((ushort*)row + k).ToVector256Unsafe()), 16).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* row, int k) => BitConverter.Int32BitsToSingle(((ushort*)row)[k] << 16);
}

/// <summary>
/// bf16 rows of the interleaved layout (<see cref="WeightMatrix.Interleaved"/>): <c>row</c> points at a row's first
/// 16 values inside its group, and each next block of 16 columns lies 8 × 16 values (256 bytes) further on.
/// </summary>
internal readonly unsafe struct Bf16InterleavedRows : IWeightRows
{
    public static int ElementSize => 2;
    /// <summary>Bytes from a row's block to its next block.</summary>
    public const int BlockStride = WeightMatrix.InterleavedRows * WeightMatrix.InterleavedCols * 2;
    /// <summary>Bytes from one row's block to the next row's, within a group (the row stride tiles are given).</summary>
    public const int RowStride = WeightMatrix.InterleavedCols * 2;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort* At(byte* row, int k) => (ushort*)(row + (k >> 4) * BlockStride) + (k & 15);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(byte* row, int k) =>
        Vector512.ShiftLeft(Vector512.WidenLower(Vector256.Load(At(row, k)).ToVector512Unsafe()), 16).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(byte* row, int k) =>
        Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load(At(row, k)).ToVector256Unsafe()), 16).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* row, int k) => BitConverter.Int32BitsToSingle(*At(row, k) << 16);
}
