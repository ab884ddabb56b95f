using System.Runtime.Intrinsics;

namespace SteerMoE.Research.Inference.Kernels;

/// <summary>
/// fp32 → bf16 rounding to nearest, ties to even (what PyTorch's <c>.to(torch.bfloat16)</c> and oneDNN do).
/// NaN stays NaN (quieted); values past the largest bf16 round to ±infinity.
/// </summary>
public static unsafe class BFloat16Rounding
{
    /// <summary>The bf16 bits nearest to <paramref name="value"/> (ties to even).</summary>
    public static ushort ToBits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (ushort)((bits >> 16) | 0x40);
        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }

    /// <summary><paramref name="value"/> rounded to the nearest bf16, as an fp32.</summary>
    public static float Round(float value) => BitConverter.Int32BitsToSingle(ToBits(value) << 16);

    /// <summary>dst[i] = bf16 bits of src[i] (n values).</summary>
    public static void ToBits(float* src, ushort* dst, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 32 <= n; i += 32)
                Vector512.Narrow(RoundedBits(Vector512.Load((uint*)src + i)), RoundedBits(Vector512.Load((uint*)src + i + 16))).Store(dst + i);
        for (; i < n; i++) dst[i] = ToBits(src[i]);
    }

    /// <summary>dst[i] = src[i] rounded to bf16, kept as fp32 (n values; dst may equal src).</summary>
    public static void Round(float* src, float* dst, long n)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16)
                Vector512.ShiftLeft(RoundedBits(Vector512.Load((uint*)src + i)), 16).AsSingle().Store(dst + i);
        for (; i < n; i++) dst[i] = Round(src[i]);
    }

    /// <summary>The bf16 bits of 16 fp32 values, in the low half of each lane.</summary>
    private static Vector512<uint> RoundedBits(Vector512<uint> bits)
    {
        var rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) >> 16;
        var nan = Vector512.GreaterThan(bits & Vector512.Create(0x7FFFFFFFu), Vector512.Create(0x7F800000u));
        return Vector512.ConditionalSelect(nan, (bits >> 16) | Vector512.Create(0x40u), rounded);
    }
}
