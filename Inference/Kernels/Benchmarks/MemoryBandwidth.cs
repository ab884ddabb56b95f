using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SteerMoE.Research.Inference.Kernels.Benchmarks;

/// <summary>
/// This machine's read bandwidth from memory as the engine's threads see it (the limit a decode step streams its
/// weights against): a buffer far larger than any cache is summed with four independent vector accumulators, split
/// into contiguous parts over <see cref="Parallelism.Threads"/> workers like the kernels' work; bytes read per second.
/// </summary>
public static unsafe class MemoryBandwidth
{
    /// <summary>The buffer: 512 MiB, far past the last-level cache of any CPU the engine runs on.</summary>
    public const long BufferBytes = 512L << 20;

    /// <summary>Read GB/s (1e9 bytes): median and best of <paramref name="repeats"/> passes over the buffer, after one untimed pass.</summary>
    public static (double Median, double Best) Measure(int repeats = 7)
    {
        long count = BufferBytes / sizeof(float);
        float* buffer = (float*)NativeMemory.AlignedAlloc((nuint)BufferBytes, 64);
        try
        {
            // Touch every page with distinct values so that no page is shared or zero-mapped.
            Parallelism.For((int)(count / Chunk), 1, (from, to) =>
            {
                for (long i = (long)from * Chunk; i < (long)to * Chunk; i++) buffer[i] = i & 1023;
            });
            var times = new List<double>();
            double sink = 0;
            for (int r = 0; r <= repeats; r++)
            {
                double start = Timing.Now();
                sink += Sum(buffer, count);
                if (r > 0) times.Add(Timing.Now() - start);   // pass 0 warms the workers and the TLB
            }
            GC.KeepAlive(sink);
            var m = Timing.Summarise(times);
            return (BufferBytes / m.MedianSeconds / 1e9, BufferBytes / m.MinSeconds / 1e9);
        }
        finally { NativeMemory.AlignedFree(buffer); }
    }

    private const int Chunk = 1 << 16;   // floats a work item reads: 256 KiB

    private static double Sum(float* buffer, long count)
    {
        int chunks = (int)(count / Chunk);
        var partial = new double[chunks];
        Parallelism.For(chunks, 1, (from, to) =>
        {
            for (int c = from; c < to; c++) partial[c] = SumChunk(buffer + (long)c * Chunk);
        });
        return partial.Sum();
    }

    // Fully optimised from the first call: the whole measurement lasts well under a second, less than tiered
    // compilation takes to replace the first, unoptimised code (which reads at half the speed).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumChunk(float* p)
    {
        var s0 = Vector256<float>.Zero; var s1 = s0; var s2 = s0; var s3 = s0;
        for (int i = 0; i < Chunk; i += 32)
        {
            s0 += Vector256.Load(p + i); s1 += Vector256.Load(p + i + 8);
            s2 += Vector256.Load(p + i + 16); s3 += Vector256.Load(p + i + 24);
        }
        return Vector256.Sum((s0 + s1) + (s2 + s3));
    }
}
