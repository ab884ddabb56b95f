namespace SteerMoE.Research.Inference.Kernels;

/// <summary>
/// The worker-thread setting of every kernel (`--threads`). Kernels split work over independent outputs only,
/// never over a reduction, so results are the same for every thread count.
/// </summary>
public static class Parallelism
{
    private static int _threads = Environment.ProcessorCount;

    /// <summary>Worker threads used by kernels (default: all cores). Must be at least 1.</summary>
    public static int Threads
    {
        get => _threads;
        set => _threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), $"--threads: expected at least 1, got {value}.");
    }

    /// <summary>
    /// Runs body(start, end) over [0, count) in at most <see cref="Threads"/> contiguous chunks of at least
    /// <paramref name="minChunk"/> items; runs inline when one chunk suffices.
    /// </summary>
    public static void For(int count, int minChunk, Action<int, int> body)
    {
        if (count <= 0) return;
        int chunks = Math.Min(Threads, Math.Max(1, count / Math.Max(1, minChunk)));
        if (chunks == 1) { body(0, count); return; }
        int per = (count + chunks - 1) / chunks;
        System.Threading.Tasks.Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks }, c =>
        {
            int start = c * per, end = Math.Min(count, start + per);
            if (start < end) body(start, end);
        });
    }
}
