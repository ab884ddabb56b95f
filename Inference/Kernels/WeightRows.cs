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
