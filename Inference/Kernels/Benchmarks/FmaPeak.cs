using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SteerMoE.Research.Inference.Kernels.Benchmarks;

/// <summary>
/// This machine's fp32 FMA ceiling as a .NET program sees it: every thread runs a loop of 16 independent
/// Vector512 (or Vector256 without AVX-512) fused multiply-adds, no memory traffic; all threads start together
/// and the wall time of the slowest counts (one thread: the calling thread, on Timing's clock). The GEMM kernels are judged as a fraction of it.
/// </summary>
public static class FmaPeak
{
    private const int Chains = 16;

    /// <summary>GFLOP/s (2 flops an FMA lane) of <paramref name="threads"/> threads: median and best of <paramref name="repeats"/> runs.</summary>
    public static (double Median, double Best) Measure(int threads, int repeats = 7, double secondsPerRun = 0.15)
    {
        long iterations = Calibrate(secondsPerRun);
        int lanes = Vector512.IsHardwareAccelerated ? 16 : 8;
        var results = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            if (threads == 1)
            {
                // On the calling thread, so that Timing's thread-CPU clock can time it.
                double t0 = Timing.Now();
                Run(iterations);
                results.Add(iterations * Chains * lanes * 2.0 / (Timing.Now() - t0) / 1e9);
                continue;
            }
            using var start = new Barrier(threads + 1);
            var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() => { start.SignalAndWait(); Run(iterations); })).ToList();
            workers.ForEach(w => w.Start());
            start.SignalAndWait();
            var clock = Stopwatch.StartNew();
            workers.ForEach(w => w.Join());
            results.Add(threads * iterations * Chains * lanes * 2.0 / clock.Elapsed.TotalSeconds / 1e9);
        }
        results.Sort();
        return (results[results.Count / 2], results[^1]);
    }

    private static long Calibrate(double seconds)
    {
        Run(100_000); // JIT to the optimised tier
        var clock = Stopwatch.StartNew();
        Run(1_000_000);
        return Math.Max(1_000_000, (long)(1_000_000 * seconds / clock.Elapsed.TotalSeconds));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run(long iterations) =>
        Vector512.IsHardwareAccelerated ? Run512(iterations) : Run256(iterations);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run512(long iterations)
    {
        var m = Vector512.Create(0.999999f);
        var a = Vector512.Create(1e-7f);
        Vector512<float> c0 = Vector512.Create(0f), c1 = Vector512.Create(1f), c2 = Vector512.Create(2f), c3 = Vector512.Create(3f);
        Vector512<float> c4 = Vector512.Create(4f), c5 = Vector512.Create(5f), c6 = Vector512.Create(6f), c7 = Vector512.Create(7f);
        Vector512<float> c8 = Vector512.Create(8f), c9 = Vector512.Create(9f), c10 = Vector512.Create(10f), c11 = Vector512.Create(11f);
        Vector512<float> c12 = Vector512.Create(12f), c13 = Vector512.Create(13f), c14 = Vector512.Create(14f), c15 = Vector512.Create(15f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a);
            c2 = Vector512.FusedMultiplyAdd(c2, m, a); c3 = Vector512.FusedMultiplyAdd(c3, m, a);
            c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
            c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a);
            c8 = Vector512.FusedMultiplyAdd(c8, m, a); c9 = Vector512.FusedMultiplyAdd(c9, m, a);
            c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
            c12 = Vector512.FusedMultiplyAdd(c12, m, a); c13 = Vector512.FusedMultiplyAdd(c13, m, a);
            c14 = Vector512.FusedMultiplyAdd(c14, m, a); c15 = Vector512.FusedMultiplyAdd(c15, m, a);
        }
        // Use every chain so none is optimised away.
        return Vector512.Sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)) + ((c12 + c13) + (c14 + c15)));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run256(long iterations)
    {
        var m = Vector256.Create(0.999999f);
        var a = Vector256.Create(1e-7f);
        Vector256<float> c0 = Vector256.Create(0f), c1 = Vector256.Create(1f), c2 = Vector256.Create(2f), c3 = Vector256.Create(3f);
        Vector256<float> c4 = Vector256.Create(4f), c5 = Vector256.Create(5f), c6 = Vector256.Create(6f), c7 = Vector256.Create(7f);
        Vector256<float> c8 = Vector256.Create(8f), c9 = Vector256.Create(9f), c10 = Vector256.Create(10f), c11 = Vector256.Create(11f);
        Vector256<float> c12 = Vector256.Create(12f), c13 = Vector256.Create(13f), c14 = Vector256.Create(14f), c15 = Vector256.Create(15f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, m, a); c1 = Vector256.FusedMultiplyAdd(c1, m, a);
            c2 = Vector256.FusedMultiplyAdd(c2, m, a); c3 = Vector256.FusedMultiplyAdd(c3, m, a);
            c4 = Vector256.FusedMultiplyAdd(c4, m, a); c5 = Vector256.FusedMultiplyAdd(c5, m, a);
            c6 = Vector256.FusedMultiplyAdd(c6, m, a); c7 = Vector256.FusedMultiplyAdd(c7, m, a);
            c8 = Vector256.FusedMultiplyAdd(c8, m, a); c9 = Vector256.FusedMultiplyAdd(c9, m, a);
            c10 = Vector256.FusedMultiplyAdd(c10, m, a); c11 = Vector256.FusedMultiplyAdd(c11, m, a);
            c12 = Vector256.FusedMultiplyAdd(c12, m, a); c13 = Vector256.FusedMultiplyAdd(c13, m, a);
            c14 = Vector256.FusedMultiplyAdd(c14, m, a); c15 = Vector256.FusedMultiplyAdd(c15, m, a);
        }
        return Vector256.Sum(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11)) + ((c12 + c13) + (c14 + c15)));
    }
}
