using System.Runtime.InteropServices;
using SteerMoE.Research.Inference.Kernels;

namespace SteerMoE.Research.Inference.Tests.Kernels;

/// <summary>A weight matrix with its own native memory, filled from fp32 values in a chosen dtype.</summary>
internal sealed unsafe class TestWeights : IDisposable
{
    private readonly void* _data, _scales;
    public WeightMatrix Matrix { get; }

    /// <summary>F32/BF16/F16: values [rows, cols] stored in that dtype (BF16 by truncation of exact values).</summary>
    public TestWeights(DType type, float[] values, int rows, int cols)
    {
        long n = (long)rows * cols;
        _data = NativeMemory.AlignedAlloc((nuint)Math.Max(1, n * 4), 64);
        for (long i = 0; i < n; i++)
            switch (type)
            {
                case DType.F32: ((float*)_data)[i] = values[i]; break;
                case DType.BF16: ((ushort*)_data)[i] = BFloat16Rounding.ToBits(values[i]); break;
                case DType.F16: ((Half*)_data)[i] = (Half)values[i]; break;
                default: throw new ArgumentException(type.ToString());
            }
        Matrix = new WeightMatrix(type, _data, rows, cols);
    }

    /// <summary>MXFP4 from random nibbles and scales.</summary>
    public TestWeights(Random random, int rows, int cols, int minScale = 120, int maxScale = 131)
    {
        _data = NativeMemory.AlignedAlloc((nuint)(rows * cols / 2), 64);
        _scales = NativeMemory.AlignedAlloc((nuint)(rows * cols / 32), 64);
        random.NextBytes(new Span<byte>(_data, rows * cols / 2));
        for (int i = 0; i < rows * cols / 32; i++) ((byte*)_scales)[i] = (byte)random.Next(minScale, maxScale + 1);
        Matrix = new WeightMatrix(DType.Mxfp4, _data, rows, cols, _scales);
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_data);
        if (_scales != null) NativeMemory.AlignedFree(_scales);
    }
}

[Collection("Kernels")]
public unsafe class MatMulTests
{
    private static float[] Random(Random random, int n, bool smallIntegers) =>
        [.. Enumerable.Range(0, n).Select(_ => smallIntegers ? random.Next(-8, 9) * 0.5f : (float)(random.NextDouble() * 2 - 1))];

    private static float[] Reference(float[] x, in WeightMatrix w, int tokens)
    {
        var y = new float[tokens * w.Rows];
        ReferenceMatMul.Linear(x, w, y, tokens);
        return y;
    }

    private static float[] Run(float[] x, in WeightMatrix w, int tokens, Precision precision = Precision.Exact)
    {
        var y = new float[tokens * w.Rows];
        MatMul.Linear(x, w, y, tokens, precision);
        return y;
    }

    /// <summary>Runs body under a kernel ISA and thread count, restoring both.</summary>
    private static T With<T>(KernelIsa isa, int threads, Func<T> body)
    {
        var (oldIsa, oldThreads) = (MatMul.Isa, Parallelism.Threads);
        try { MatMul.Isa = isa; Parallelism.Threads = threads; return body(); }
        finally { MatMul.Isa = oldIsa; Parallelism.Threads = oldThreads; }
    }

    private static IEnumerable<KernelIsa> Isas => MatMul.Isa switch
    {
        KernelIsa.Vector512 => [KernelIsa.Vector512, KernelIsa.Vector256, KernelIsa.Scalar],
        KernelIsa.Vector256 => [KernelIsa.Vector256, KernelIsa.Scalar],
        _ => [KernelIsa.Scalar],
    };

    public static TheoryData<DType, int, int, int> Shapes()
    {
        var data = new TheoryData<DType, int, int, int>();
        foreach (var type in new[] { DType.F32, DType.BF16, DType.F16 })
            foreach (int cols in new[] { 1, 3, 16, 17, 33, 64, 100 })
                foreach (var (rows, tokens) in new[] { (1, 1), (3, 2), (17, 3), (9, 4), (17, 5), (3, 17) })
                    data.Add(type, rows, cols, tokens);
        foreach (int cols in new[] { 32, 64, 96 })
            foreach (var (rows, tokens) in new[] { (1, 1), (17, 3), (9, 5), (3, 17) })
                data.Add(DType.Mxfp4, rows, cols, tokens);
        return data;
    }

    private static TestWeights Weights(DType type, Random random, int rows, int cols, bool smallIntegers) =>
        type == DType.Mxfp4 ? new TestWeights(random, rows, cols, smallIntegers ? 126 : 120, smallIntegers ? 128 : 131)
                            : new TestWeights(type, Random(random, rows * cols, smallIntegers), rows, cols);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ExactEqualsReferenceWhenEverySumIsExact(DType type, int rows, int cols, int tokens)
    {
        // Halves times halves (MXFP4: fp4 values times 2^-1..2^1), short sums: every order gives the exact value,
        // so any indexing, padding or tail error shows as a mismatch.
        var random = new Random(rows * 1000 + cols * 10 + tokens);
        using var w = Weights(type, random, rows, cols, smallIntegers: true);
        var x = Random(random, tokens * cols, smallIntegers: true);
        var expected = Reference(x, w.Matrix, tokens);
        foreach (var isa in Isas)
            Assert.Equal(expected, With(isa, 2, () => Run(x, w.Matrix, tokens)));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ExactIsWithinTheSummationBoundOfReferenceOnRandomData(DType type, int rows, int cols, int tokens)
    {
        var random = new Random(7 + rows * 1000 + cols * 10 + tokens);
        using var w = Weights(type, random, rows, cols, smallIntegers: false);
        var x = Random(random, tokens * cols, smallIntegers: false);
        var expected = Reference(x, w.Matrix, tokens);
        var actual = Run(x, w.Matrix, tokens);
        // Both orders are within γ_n = n·u/(1 − n·u) of the exact sum times Σ|x·w| (u = 2^-24): allow twice that.
        for (int t = 0; t < tokens; t++)
            for (int o = 0; o < rows; o++)
            {
                double magnitude = 0;
                for (int i = 0; i < cols; i++) magnitude += Math.Abs(x[t * cols + i] * ReferenceMatMul.Element(w.Matrix, o, i));
                double bound = 2 * cols * Math.Pow(2, -24) / (1 - cols * Math.Pow(2, -24)) * magnitude;
                Assert.True(Math.Abs(actual[t * rows + o] - expected[t * rows + o]) <= bound,
                    $"y[{t},{o}] = {actual[t * rows + o]} vs reference {expected[t * rows + o]}, bound {bound}");
            }
    }

    [Theory]
    [InlineData(DType.BF16, 512, 2048, 1)]   // decode: weights read in place, 1x8 tiles (AVX2: 1x4)
    [InlineData(DType.BF16, 203, 2048, 3)]   // batched decode in place: 4x4 tiles (AVX2: each row shared by the 3 tokens)
    [InlineData(DType.BF16, 200, 300, 9)]    // packed blocks, padded columns, 4x4 tiles with a remainder
    [InlineData(DType.F32, 96, 1000, 33)]
    [InlineData(DType.Mxfp4, 100, 512, 6)]
    public void ResultsAreBitIdenticalForOneAndTwoThreadsAndEveryIsa(DType type, int rows, int cols, int tokens)
    {
        var random = new Random(rows + cols + tokens);
        using var w = Weights(type, random, rows, cols, smallIntegers: false);
        var x = Random(random, tokens * cols, smallIntegers: false);
        var one = With(MatMul.Isa, 1, () => Run(x, w.Matrix, tokens));
        Assert.Equal(one, With(MatMul.Isa, 2, () => Run(x, w.Matrix, tokens)));
        foreach (var isa in Isas)
            Assert.Equal(one, With(isa, 2, () => Run(x, w.Matrix, tokens)));
    }

    [Theory]
    [InlineData(DType.BF16)]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    public void ATokenGetsTheSameBitsAloneAsInABatch(DType type)
    {
        // Decode (one token, weights in place) and prefill (17 tokens, packed blocks) must agree exactly.
        const int rows = 37, cols = 256, tokens = 17;
        var random = new Random(3);
        using var w = Weights(type, random, rows, cols, smallIntegers: false);
        var x = Random(random, tokens * cols, smallIntegers: false);
        var batch = Run(x, w.Matrix, tokens);
        for (int t = 0; t < tokens; t++)
            Assert.Equal(batch[(t * rows)..((t + 1) * rows)], Run(x[(t * cols)..((t + 1) * cols)], w.Matrix, 1));
    }

    [Theory]
    [InlineData(DType.F32, 17, 100, 5)]
    [InlineData(DType.F16, 9, 64, 3)]
    [InlineData(DType.BF16, 33, 80, 17)]
    [InlineData(DType.Mxfp4, 9, 64, 2)]
    public void ManagedFastEqualsTheReferenceOnBf16RoundedInputs(DType type, int rows, int cols, int tokens)
    {
        var random = new Random(11);
        using var w = Weights(type, random, rows, cols, smallIntegers: false);
        var x = Random(random, tokens * cols, smallIntegers: false);
        // The same GEMM on inputs rounded beforehand, in exact mode: the canonical order makes it bit-identical.
        var xRounded = x.Select(BFloat16Rounding.Round).ToArray();
        var wRounded = Enumerable.Range(0, rows * cols).Select(i => BFloat16Rounding.Round(ReferenceMatMul.Element(w.Matrix, i / cols, i % cols))).ToArray();
        using var rounded = new TestWeights(DType.F32, wRounded, rows, cols);
        var expected = Run(xRounded, rounded.Matrix, tokens);
        var y = new float[tokens * rows];
        fixed (float* px = x, py = y) MatMul.Managed(px, w.Matrix, py, tokens, roundToBf16: true);
        Assert.Equal(expected, y);
    }

    [Fact]
    public void FastOnBf16WeightsMatchesTheManagedFastKernelWithinAccumulationError()
    {
        // oneDNN when installed (else this compares the managed kernel with itself, which must be identical).
        const int rows = 300, cols = 2048, tokens = 7;
        var random = new Random(5);
        using var w = Weights(DType.BF16, random, rows, cols, smallIntegers: false);
        var x = Random(random, tokens * cols, smallIntegers: false);
        var fast = Run(x, w.Matrix, tokens, Precision.Fast);
        var managed = new float[tokens * rows];
        fixed (float* px = x, py = managed) MatMul.Managed(px, w.Matrix, py, tokens, roundToBf16: true);
        var exact = Run(x, w.Matrix, tokens);
        for (int i = 0; i < fast.Length; i++)
        {
            // Same bf16 products, different fp32 summation orders: |Σ| ≤ Σ|x·w| ≤ cols; allow 2γ_n·cols.
            Assert.True(Math.Abs(fast[i] - managed[i]) <= 2 * cols * cols * Math.Pow(2, -24), $"fast {fast[i]} vs managed fast {managed[i]} at {i}");
            // bf16 rounding of x (relative 2^-9 each) on sums of 2048 terms of size ≤ 1: stays well under 0.1 here.
            Assert.True(Math.Abs(fast[i] - exact[i]) < 0.1, $"fast {fast[i]} vs exact {exact[i]} at {i}");
        }
        if (!OneDnn.Available) Assert.Equal(managed, fast);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(64)]
    public void FastIsBitIdenticalForOneAndTwoThreads(int tokens)
    {
        // 1000 rows = 3 full 256-row oneDNN slices and a partial one.
        FastOnOneAndTwoThreads(rows: 1000, cols: 512, tokens, seed: tokens);
    }

    /// <summary>`fast` on random bf16 weights with 1 and with 2 threads: asserts them equal, returns them with the managed fast kernel's y.</summary>
    private static (float[] Fast, float[] Managed) FastOnOneAndTwoThreads(int rows, int cols, int tokens, int seed)
    {
        var random = new Random(seed);
        using var w = Weights(DType.BF16, random, rows, cols, smallIntegers: false);
        var x = Random(random, tokens * cols, smallIntegers: false);
        var one = With(MatMul.Isa, 1, () => Run(x, w.Matrix, tokens, Precision.Fast));
        Assert.Equal(one, With(MatMul.Isa, 2, () => Run(x, w.Matrix, tokens, Precision.Fast)));
        var managed = new float[tokens * rows];
        fixed (float* px = x, py = managed) MatMul.Managed(px, w.Matrix, py, tokens, roundToBf16: true);
        return (one, managed);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void FastOnTwoToFourTokensIsTheManagedKernelOnBf16RoundedInputs(int tokens)
    {
        // Batched decode runs the managed kernel (bf16 weights read in place), not oneDNN: bit-identical to it.
        var (fast, managed) = FastOnOneAndTwoThreads(rows: 300, cols: 512, tokens, seed: 3);
        Assert.Equal(managed, fast);
    }

    [Fact]
    public void FastRouterShapeSplitByTokenBlocksIsBitIdenticalForOneAndTwoThreadsAndAgreesWithTheManagedKernel()
    {
        // 64 rows (a router): oneDNN runs 128-token blocks; 300 tokens = two full blocks and a partial one.
        const int cols = 512;
        var (one, managed) = FastOnOneAndTwoThreads(rows: 64, cols, tokens: 300, seed: 11);
        for (int i = 0; i < one.Length; i++)   // every block's rows land in the right place (same bound as above)
            Assert.True(Math.Abs(one[i] - managed[i]) <= 2 * cols * cols * Math.Pow(2, -24), $"fast {one[i]} vs managed fast {managed[i]} at {i}");
    }

    [Theory]
    [InlineData(8, 16, 1)]
    [InlineData(203, 2048, 1)]   // decode, 1x8 tiles over 26 groups, the last with 3 rows
    [InlineData(203, 2048, 3)]   // batched decode: a token pair over 512-column chunks, the third token alone (1x8)
    [InlineData(203, 2048, 4)]   // two token pairs taking turns over each chunk
    [InlineData(203, 1040, 2)]   // a last chunk of 16 columns
    [InlineData(17, 64, 4)]
    [InlineData(50, 96, 5)]      // past 4 tokens: packed blocks widened from the interleaved layout
    [InlineData(9, 32, 64)]
    public void TheInterleavedLayoutGivesTheSameBitsAsRowMajorForEveryIsaAndThreadCount(int rows, int cols, int tokens)
    {
        var random = new Random(rows * 31 + cols + tokens);
        using var w = Weights(DType.BF16, random, rows, cols, smallIntegers: false);
        var x = Random(random, tokens * cols, smallIntegers: false);
        void* memory = NativeMemory.AlignedAlloc((nuint)WeightMatrix.InterleavedBytes(rows, cols), 64);
        try
        {
            var interleaved = w.Matrix.Interleave(memory);
            Assert.True(interleaved.Interleaved);
            foreach (var precision in new[] { Precision.Exact, Precision.Fast })
            {
                // Where oneDNN runs `fast` (past 4 tokens), it gets the interleaved matrix's rows row-major: the same call,
                // the same bits; decode (1-4 tokens) on an interleaved matrix is always the managed kernel.
                var expected = new float[tokens * rows];
                if (tokens > 4 || precision == Precision.Exact) expected = Run(x, w.Matrix, tokens, precision);
                else fixed (float* px = x, py = expected) MatMul.Managed(px, w.Matrix, py, tokens, roundToBf16: true);
                foreach (var isa in Isas)
                    foreach (int threads in new[] { 1, 2 })
                        Assert.Equal(expected, With(isa, threads, () => Run(x, interleaved, tokens, precision)));
            }
            // Every element reads back through WidenRow and the reference's element access.
            var row = new float[cols];
            for (int r = 0; r < rows; r++)
            {
                MatMul.WidenRow(interleaved, r, row);
                for (int c = 0; c < cols; c++)
                {
                    Assert.Equal(ReferenceMatMul.Element(w.Matrix, r, c), row[c]);
                    Assert.Equal(row[c], ReferenceMatMul.Element(interleaved, r, c));
                }
            }
            // The padding rows of the last group are zeros.
            long used = (long)rows * cols * 2, all = WeightMatrix.InterleavedBytes(rows, cols);
            Assert.Equal(((rows + 7) / 8 * 8 - rows) * cols * 2, all - used);
            if (rows % 8 != 0)
                for (int c = 0; c < cols; c++) Assert.Equal(0, ((ushort*)memory)[WeightMatrix.InterleavedOffset(rows, c, cols) / 2]);
        }
        finally { NativeMemory.AlignedFree(memory); }
    }

    [Fact]
    public void TheInterleavedLayoutPlacesEachBlockOfSixteenColumnsOfEightRowsTogether()
    {
        // [row, col] -> bytes: group (row / 8) of 8 x cols values, block (col / 16) of 8 x 16, row % 8 of 16, col % 16.
        Assert.Equal(0, WeightMatrix.InterleavedOffset(0, 0, 64));
        Assert.Equal(2 * 15, WeightMatrix.InterleavedOffset(0, 15, 64));
        Assert.Equal(2 * 16, WeightMatrix.InterleavedOffset(1, 0, 64));
        Assert.Equal(2 * 128, WeightMatrix.InterleavedOffset(0, 16, 64));
        Assert.Equal(2 * (8 * 64 + 3 * 128 + 2 * 16 + 5), WeightMatrix.InterleavedOffset(10, 53, 64));
        Assert.Equal(16 * 64 * 2, WeightMatrix.InterleavedBytes(9, 64));
    }

    [Theory]
    [InlineData(0, 203)]
    [InlineData(5, 17)]
    [InlineData(200, 3)]
    public void RowsCopiedRowMajorFromEitherLayoutAreTheStoredRows(int first, int count)
    {
        using var w = Weights(DType.BF16, new Random(first + count), 203, 48, smallIntegers: false);
        void* memory = NativeMemory.AlignedAlloc((nuint)WeightMatrix.InterleavedBytes(203, 48), 64);
        var fromStored = new ushort[count * 48];
        var fromInterleaved = new ushort[count * 48];
        try
        {
            var interleaved = w.Matrix.Interleave(memory);
            fixed (ushort* a = fromStored, b = fromInterleaved)
            {
                w.Matrix.CopyRowsBf16(first, count, a);
                interleaved.CopyRowsBf16(first, count, b);
            }
            Assert.Equal(new ReadOnlySpan<ushort>((ushort*)w.Matrix.Data + first * 48, count * 48).ToArray(), fromStored);
            Assert.Equal(fromStored, fromInterleaved);
        }
        finally { NativeMemory.AlignedFree(memory); }
    }

    [Fact]
    public void OnlyRowMajorBf16WithWholeBlocksOfColumnsInterleaves()
    {
        using var f32 = new TestWeights(DType.F32, new float[16], 1, 16);
        using var odd = new TestWeights(DType.BF16, new float[17], 1, 17);
        void* memory = NativeMemory.AlignedAlloc(4096, 64);
        try
        {
            var a = Assert.Throws<InvalidOperationException>(() => f32.Matrix.Interleave(memory));
            Assert.Contains("needs a row-major BF16 matrix", a.Message);
            Assert.Throws<InvalidOperationException>(() => odd.Matrix.Interleave(memory));
            var e = Assert.Throws<ArgumentException>(() => new WeightMatrix(DType.F32, memory, 1, 16, interleaved: true));
            Assert.Contains("interleaved layout needs BF16", e.Message);
        }
        finally { NativeMemory.AlignedFree(memory); }
    }

    [Fact]
    public void RejectsBuffersThatAreTooShort()
    {
        using var w = new TestWeights(DType.F32, new float[6], 3, 2);
        var e = Assert.Throws<ArgumentException>(() => MatMul.Linear(new float[3], w.Matrix, new float[6], 2));
        Assert.Contains("x needs 2x2", e.Message);
        Assert.Throws<ArgumentException>(() => MatMul.Linear(new float[4], w.Matrix, new float[5], 2));
    }

    [Fact]
    public void ThreadsRejectsLessThanOne() =>
        Assert.Contains("--threads", Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.Threads = 0).Message);
}

public class BFloat16RoundingTests
{
    [Theory]
    [InlineData(1f, 0x3F80)]
    [InlineData(1.00390625f, 0x3F80)]     // 1 + 2^-8: halfway between 1 and 1 + 2^-7, ties to even (down)
    [InlineData(1.01171875f, 0x3F82)]     // 1 + 3·2^-8: halfway, ties to even (up)
    [InlineData(1.0039064f, 0x3F81)]      // one ulp above halfway: up
    [InlineData(-2.5f, 0xC020)]
    [InlineData(float.PositiveInfinity, 0x7F80)]
    [InlineData(3.4028235e38f, 0x7F80)]   // float.MaxValue rounds past the largest bf16
    public void RoundsToNearestEven(float value, int bits) => Assert.Equal((ushort)bits, BFloat16Rounding.ToBits(value));

    [Fact]
    public void NaNStaysNaN()
    {
        Assert.True(float.IsNaN(BFloat16Rounding.Round(BitConverter.Int32BitsToSingle(0x7F800001))));
        Assert.True(float.IsNaN(BFloat16Rounding.Round(float.NaN)));
    }

    [Fact]
    public unsafe void VectorPathsEqualTheScalarPath()
    {
        var random = new Random(1);
        var values = Enumerable.Range(0, 1000).Select(_ => BitConverter.Int32BitsToSingle(random.Next())).ToArray();
        values[5] = BitConverter.Int32BitsToSingle(0x7F800001); values[6] = float.NegativeInfinity;
        var bits = new ushort[values.Length];
        var rounded = new float[values.Length];
        fixed (float* v = values, r = rounded) fixed (ushort* b = bits)
        {
            BFloat16Rounding.ToBits(v, b, values.Length);
            BFloat16Rounding.Round(v, r, values.Length);
        }
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(BFloat16Rounding.ToBits(values[i]), bits[i]);
            Assert.Equal(BitConverter.SingleToInt32Bits(BFloat16Rounding.Round(values[i])), BitConverter.SingleToInt32Bits(rounded[i]));
        }
    }
}
