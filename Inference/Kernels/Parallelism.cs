namespace SteerMoE.Research.Inference.Kernels;

/// <summary>
/// The worker-thread setting of every kernel (`--threads`). Kernels split work over independent outputs only,
/// never over a reduction, so results are the same for every thread count.
/// </summary>
public static class Parallelism
{
    private static int _threads = Environment.ProcessorCount;
    private static WorkerTeam? _team;
    private static int _teamBusy;   // 1 while a For runs on the team (a concurrent For from another thread then uses the pool)
    [ThreadStatic] private static bool _inChunk;   // this thread is running a chunk of some For: a nested For runs inline

    /// <summary>Worker threads used by kernels (default: all cores). Must be at least 1.</summary>
    public static int Threads
    {
        get => _threads;
        set => _threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), $"--threads: expected at least 1, got {value}.");
    }

    /// <summary>
    /// Runs body(start, end) over [0, count) in at most <see cref="Threads"/> contiguous chunks of at least
    /// <paramref name="minChunk"/> items; runs inline when one chunk suffices, and when called from inside another
    /// For's chunk (so a kernel called per expert from a For over experts runs on its own thread).
    /// </summary>
    public static void For(int count, int minChunk, Action<int, int> body)
    {
        if (count <= 0) return;
        int chunks = Math.Min(Threads, Math.Max(1, count / Math.Max(1, minChunk)));
        if (chunks == 1 || _inChunk) { body(0, count); return; }
        int per = (count + chunks - 1) / chunks;
        void Chunk(int c)
        {
            int start = c * per, end = Math.Min(count, start + per);
            if (start >= end) return;
            _inChunk = true;
            try { body(start, end); }
            finally { _inChunk = false; }
        }
        // The chunks are fixed above, so which thread runs a chunk never changes a result. The team serves one
        // caller at a time; a concurrent caller (another pass on another thread) uses the thread pool instead.
        if (Interlocked.CompareExchange(ref _teamBusy, 1, 0) == 0)
        {
            try
            {
                if (_team == null || _team.Workers != Threads - 1) { _team?.Dispose(); _team = new WorkerTeam(Threads - 1); }
                _team.Run(chunks, Chunk);
                return;
            }
            finally { Volatile.Write(ref _teamBusy, 0); }
        }
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks }, Chunk);
    }

    /// <summary>
    /// Persistent workers that spin briefly before sleeping. A layer's GEMMs are calls of 0.1-1 ms each (64 experts
    /// x 3 per OLMoE layer); waking thread-pool threads for each cost a large share of that on a 2-core machine.
    /// </summary>
    private sealed class WorkerTeam : IDisposable
    {
        private const int SpinIterations = 2_000;    // Thread.SpinWait(1) is normalised to some tens of ns: ~0.1 ms of spinning before a worker blocks
        private readonly SemaphoreSlim[] _wake;
        private Action<int>? _chunk;
        private long _state;   // [run:32 | chunks:16 | next chunk:16], claimed by compare-exchange so no claim crosses runs
        private int _pending;
        private Exception? _error;
        private volatile bool _stopping;

        public WorkerTeam(int workers)
        {
            Workers = workers;
            _wake = new SemaphoreSlim[workers];
            for (int w = 0; w < workers; w++)
            {
                var wake = _wake[w] = new SemaphoreSlim(0);
                new Thread(() => Work(wake)) { IsBackground = true, Name = $"steermoe kernel worker {w + 1}" }.Start();
            }
        }

        public int Workers { get; }

        /// <summary>Runs chunk(0 .. chunks-1) (chunks at most Workers + 1) on the caller and the workers; returns when all are done.</summary>
        public void Run(int chunks, Action<int> chunk)
        {
            _chunk = chunk; _error = null;
            Volatile.Write(ref _pending, chunks);
            long run = (Volatile.Read(ref _state) >> 32) + 1;
            Volatile.Write(ref _state, run << 32 | (long)chunks << 16);   // publishes the run: workers may claim from here
            foreach (var wake in _wake) wake.Release();
            Claim();
            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) > 0) spin.SpinOnce(sleep1Threshold: -1);
            _chunk = null;
            if (_error != null) throw new AggregateException(_error);
        }

        private void Work(SemaphoreSlim wake)
        {
            while (true)
            {
                for (int i = 0; i < SpinIterations && wake.CurrentCount == 0 && !_stopping; i++) Thread.SpinWait(1);
                wake.Wait();
                if (_stopping) return;
                Claim();
            }
        }

        private void Claim()
        {
            while (true)
            {
                long state = Volatile.Read(ref _state);
                int c = (int)(state & 0xFFFF), chunks = (int)((state >> 16) & 0xFFFF);
                if (c >= chunks) return;
                if (Interlocked.CompareExchange(ref _state, state + 1, state) != state) continue;
                // The run cannot end before this chunk is counted, so _chunk is still this run's.
                try { _chunk!(c); }
                catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
                Interlocked.Decrement(ref _pending);
            }
        }

        public void Dispose()
        {
            _stopping = true;
            foreach (var wake in _wake) wake.Release();
        }
    }
}
