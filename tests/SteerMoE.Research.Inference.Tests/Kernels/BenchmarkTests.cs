using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Kernels.Benchmarks;

namespace SteerMoE.Research.Inference.Tests.Kernels;

[Collection("Kernels")]
public unsafe class BenchmarkTests
{
    [Fact]
    public void MeasureTimesAtLeastMinRunsAndOrdersItsStatistics()
    {
        int calls = 0;
        var m = Timing.Measure(_ => { calls++; Thread.SpinWait(1000); }, warmup: 2, minRuns: 7, minSeconds: 0);
        Assert.Equal(7, m.Runs);
        Assert.Equal(9, calls);
        Assert.True(m.MinSeconds <= m.MedianSeconds && m.MedianSeconds <= m.MaxSeconds);
    }

    [Fact]
    public void InterleavedRunsGiveEveryCallItsOwnIndex()
    {
        var seen = new List<(int Method, int Call)>();
        var m = Timing.MeasureInterleaved([i => seen.Add((0, i)), i => seen.Add((1, i))], warmup: 1, minRuns: 3, minSeconds: 0);
        Assert.Equal(2, m.Length);
        Assert.Equal(Enumerable.Range(0, 8), seen.Select(s => s.Call));               // fresh index per call
        Assert.Equal([0, 1, 0, 1, 0, 1, 0, 1], seen.Select(s => s.Method));           // round-robin
    }

    [Fact]
    public void ThreadCpuClockDoesNotCountSleeping()
    {
        Timing.UseThreadCpuTime = true;
        try
        {
            double t0 = Timing.Now();
            Thread.Sleep(300);
            double slept = Timing.Now() - t0;
            t0 = Timing.Now();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.ElapsedMilliseconds < 100) Thread.SpinWait(100);
            double busy = Timing.Now() - t0;
            Assert.True(slept < 0.05, $"300 ms asleep counted {slept} s of CPU time");
            Assert.True(busy > 0.005, $"100 ms of spinning counted only {busy} s of CPU time");
        }
        finally { Timing.UseThreadCpuTime = false; }
    }

    [Fact]
    public void FastDeviationIsMeasuredAndSmall()
    {
        var d = GemmBenchmark.MeasureDeviation(new GemmShape("test", 64, 256, 5));
        Assert.True(d.MaxAbs > 0, "bf16 rounding of x must change some output");
        Assert.True(d.MaxAbsOverRms < 0.05, $"max |fast - exact| / rms = {d.MaxAbsOverRms}");
        Assert.True(d.MedianRelative is > 0 and < 0.02, $"median relative deviation {d.MedianRelative}");
    }

    [Fact]
    public void OneDnnFailureNamesTheCallAndStatus()
    {
        if (!OneDnn.Available) { Assert.Contains("libdnnl", MatMul.FastBackend); return; }
        ushort[] a = new ushort[4], b = new ushort[4];
        float[] y = new float[4];
        fixed (ushort* pa = a, pb = b) fixed (float* py = y)
        {
            ushort* xa = pa, xb = pb; float* xy = py;
            // ldc smaller than N is invalid for a row-major C.
            var e = Assert.Throws<InvalidOperationException>(() => OneDnn.GemmBf16(xa, xb, xy, 2, 2, 2, ldy: 1));
            Assert.Contains("dnnl_gemm_bf16bf16f32('N', 'T', M=2, N=2, K=2", e.Message);
            Assert.Contains("dnnl_invalid_arguments", e.Message);
        }
    }

    [Fact]
    public void OneDnnBf16GemmComputesAProduct()
    {
        if (!OneDnn.Available) return;   // nothing to check without libdnnl (FastBackend names the managed kernel)
        // a = [[1, 2], [3, 4]], b = [[1, 0], [0.5, -1], [2, 2]] → y = a·bᵀ = [[1, -1.5, 6], [3, -2.5, 14]]
        ushort[] a = [.. new float[] { 1, 2, 3, 4 }.Select(BFloat16Rounding.ToBits)];
        ushort[] b = [.. new float[] { 1, 0, 0.5f, -1, 2, 2 }.Select(BFloat16Rounding.ToBits)];
        float[] y = new float[6];
        fixed (ushort* pa = a, pb = b) fixed (float* py = y) OneDnn.GemmBf16(pa, pb, py, 2, 3, 2);
        Assert.Equal([1f, -1.5f, 6f, 3f, -2.5f, 14f], y);
    }
}
