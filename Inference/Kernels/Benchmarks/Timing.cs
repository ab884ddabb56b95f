using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SteerMoE.Research.Inference.Kernels.Benchmarks;

/// <summary>A timed measurement: the median of repeated runs after warm-up, with its spread.</summary>
/// <param name="MedianSeconds">Median seconds a run.</param>
/// <param name="MinSeconds">Fastest run.</param>
/// <param name="MaxSeconds">Slowest run.</param>
/// <param name="Runs">Timed runs (warm-up excluded).</param>
public sealed record Measurement(double MedianSeconds, double MinSeconds, double MaxSeconds, int Runs)
{
    /// <summary>Median rate of <paramref name="units"/> per run (e.g. GFLOP per run → GFLOP/s).</summary>
    public double MedianRate(double units) => units / MedianSeconds;
    /// <summary>Best-run rate of <paramref name="units"/> per run.</summary>
    public double BestRate(double units) => units / MinSeconds;
}

/// <summary>A finished step of a benchmark run: <paramref name="Done"/> of <paramref name="Total"/> steps, and its result in one line.</summary>
public readonly record struct BenchmarkStep(int Done, int Total, string Line);

/// <summary>
/// Careful timing without BenchmarkDotNet (0.14 predates .NET 10): warm-up runs (JIT tiers, page faults,
/// caches), then at least <c>minRuns</c> timed runs and at least <c>minSeconds</c> in total, at most
/// <c>maxRuns</c>; median and best run are both kept: a shared machine adds one-sided noise (load only ever slows a run).
/// </summary>
public static unsafe partial class Timing
{
    /// <summary>
    /// When true, runs are timed by the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID) instead of the wall
    /// clock: on a machine shared with other jobs, time spent descheduled is not counted. Only meaningful for
    /// single-threaded work on the calling thread (<see cref="Parallelism.Threads"/> = 1).
    /// </summary>
    public static bool UseThreadCpuTime { get; set; }

    /// <summary>Seconds on the clock in use (wall or this thread's CPU time).</summary>
    public static double Now()
    {
        if (!UseThreadCpuTime) return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
        TimeSpec t;
        if (ClockGetTime(3 /* CLOCK_THREAD_CPUTIME_ID */, &t) != 0)
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed: thread CPU time is unavailable here; use the wall clock.");
        return t.Seconds + t.Nanoseconds * 1e-9;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec { public long Seconds; public long Nanoseconds; }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, TimeSpec* time);

    /// <summary>Times <paramref name="run"/>; <paramref name="run"/> gets the call index (to rotate inputs).</summary>
    public static Measurement Measure(Action<int> run, int warmup = 2, int minRuns = 5, double minSeconds = 0.5, int maxRuns = 1000)
    {
        for (int i = 0; i < warmup; i++) run(i);
        var times = new List<double>();
        double total = 0;
        while (times.Count < maxRuns && (times.Count < minRuns || total < minSeconds))
        {
            double start = Now();
            run(warmup + times.Count);
            double s = Now() - start;
            times.Add(s);
            total += s;
        }
        return Summarise(times);
    }

    /// <summary>
    /// Times several methods round-robin (run i of each, then run i + 1 of each): on a shared machine a burst
    /// of load then slows all of them alike instead of one, which keeps their ratios honest.
    /// </summary>
    public static Measurement[] MeasureInterleaved(IReadOnlyList<Action<int>> runs, int warmup = 2, int minRuns = 5, double minSeconds = 0.5, int maxRuns = 1000)
    {
        // Every call gets its own index (a method never reuses the inputs the previous method just brought into cache).
        int call = 0;
        for (int i = 0; i < warmup; i++) foreach (var run in runs) run(call++);
        var times = runs.Select(_ => new List<double>()).ToArray();
        double total = 0;
        for (int i = 0; i < maxRuns && (i < minRuns || total < minSeconds * runs.Count); i++)
            for (int m = 0; m < runs.Count; m++)
            {
                double start = Now();
                runs[m](call++);
                double s = Now() - start;
                times[m].Add(s);
                total += s;
            }
        return [.. times.Select(Summarise)];
    }

    /// <summary>Median, fastest and slowest of run times measured elsewhere (sorts <paramref name="times"/>).</summary>
    public static Measurement Summarise(List<double> times)
    {
        times.Sort();
        int n = times.Count;
        double median = n % 2 == 1 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
        return new Measurement(median, times[0], times[^1], n);
    }
}
