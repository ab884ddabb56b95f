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
        Vector512.IsHardwareAccelerated ? Chains16<Lanes512>(iterations) : Chains16<Lanes256>(iterations);

    /// <summary>16 independent FMA chains of a vector width (the JIT specialises it per struct).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains16<TV>(long iterations) where TV : struct, IFmaLanes<TV>
    {
        TV m = TV.Create(0.999999f), a = TV.Create(1e-7f);
        TV c0 = TV.Create(0f), c1 = TV.Create(1f), c2 = TV.Create(2f), c3 = TV.Create(3f);
        TV c4 = TV.Create(4f), c5 = TV.Create(5f), c6 = TV.Create(6f), c7 = TV.Create(7f);
        TV c8 = TV.Create(8f), c9 = TV.Create(9f), c10 = TV.Create(10f), c11 = TV.Create(11f);
        TV c12 = TV.Create(12f), c13 = TV.Create(13f), c14 = TV.Create(14f), c15 = TV.Create(15f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = TV.Fma(c0, m, a); c1 = TV.Fma(c1, m, a); c2 = TV.Fma(c2, m, a); c3 = TV.Fma(c3, m, a);
            c4 = TV.Fma(c4, m, a); c5 = TV.Fma(c5, m, a); c6 = TV.Fma(c6, m, a); c7 = TV.Fma(c7, m, a);
            c8 = TV.Fma(c8, m, a); c9 = TV.Fma(c9, m, a); c10 = TV.Fma(c10, m, a); c11 = TV.Fma(c11, m, a);
            c12 = TV.Fma(c12, m, a); c13 = TV.Fma(c13, m, a); c14 = TV.Fma(c14, m, a); c15 = TV.Fma(c15, m, a);
        }
        // Use every chain so none is optimised away.
        return TV.Sum(c0) + TV.Sum(c1) + TV.Sum(c2) + TV.Sum(c3) + TV.Sum(c4) + TV.Sum(c5) + TV.Sum(c6) + TV.Sum(c7)
             + TV.Sum(c8) + TV.Sum(c9) + TV.Sum(c10) + TV.Sum(c11) + TV.Sum(c12) + TV.Sum(c13) + TV.Sum(c14) + TV.Sum(c15);
    }

    private interface IFmaLanes<TSelf> where TSelf : struct, IFmaLanes<TSelf>
    {
        static abstract TSelf Create(float value);
        static abstract TSelf Fma(TSelf a, TSelf b, TSelf c);
        static abstract float Sum(TSelf a);
    }

    private readonly struct Lanes512(Vector512<float> v) : IFmaLanes<Lanes512>
    {
        private readonly Vector512<float> _v = v;
        public static Lanes512 Create(float value) => new(Vector512.Create(value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes512 Fma(Lanes512 a, Lanes512 b, Lanes512 c) => new(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));
        public static float Sum(Lanes512 a) => Vector512.Sum(a._v);
    }

    private readonly struct Lanes256(Vector256<float> v) : IFmaLanes<Lanes256>
    {
        private readonly Vector256<float> _v = v;
        public static Lanes256 Create(float value) => new(Vector256.Create(value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes256 Fma(Lanes256 a, Lanes256 b, Lanes256 c) => new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));
        public static float Sum(Lanes256 a) => Vector256.Sum(a._v);
    }
}
