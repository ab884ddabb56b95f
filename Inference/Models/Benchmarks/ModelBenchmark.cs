using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Kernels.Benchmarks;
using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Inference.Models.Benchmarks;

/// <summary>Sizes of a model benchmark: B sequences of T prompt tokens, then S decode steps.</summary>
public sealed record ModelBenchmarkOptions
{
    /// <summary>Prompt tokens per sequence (T).</summary>
    public int PromptTokens { get; init; } = 128;
    /// <summary>Sequences in the prefill and batched-decode runs (B).</summary>
    public int Batch { get; init; } = 4;
    /// <summary>Decode steps per timed decode run (S).</summary>
    public int DecodeSteps { get; init; } = 16;
    /// <summary>Timed runs per measurement (median reported); one untimed warm-up run precedes them.</summary>
    public int Runs { get; init; } = 3;

    /// <summary>Throws ArgumentException naming the option when a size is not positive.</summary>
    public void Validate()
    {
        if (PromptTokens < 1) throw new ArgumentException($"--prompt-tokens: expected at least 1, got {PromptTokens}.");
        if (Batch < 1) throw new ArgumentException($"--batch: expected at least 1, got {Batch}.");
        if (DecodeSteps < 1) throw new ArgumentException($"--decode-steps: expected at least 1, got {DecodeSteps}.");
        if (Runs < 1) throw new ArgumentException($"--repeat: expected at least 1, got {Runs}.");
    }
}

/// <summary>
/// One measured phase: tokens processed per timed run, the run times and the FLOPs per run; for decode, the bytes a
/// run has to read (<see cref="DecodeTraffic"/>).
/// </summary>
public sealed record PhaseResult(string Name, int Batch, long TokensPerRun, double Flops, Measurement Time, double? BytesRead = null)
{
    /// <summary>Memory throughput (1e9 bytes/s of weights and KV cache) of the median run; null for prefill.</summary>
    public double? GBps => BytesRead / Time.MedianSeconds / 1e9;
    /// <summary>Tokens per second from the median run.</summary>
    public double TokensPerSecond => TokensPerRun / Time.MedianSeconds;
    /// <summary>Effective GFLOP/s (active-parameter and attention-score FLOPs) from the median run.</summary>
    public double Gflops => Flops / Time.MedianSeconds / 1e9;
}

/// <summary>The measurements of one precision.</summary>
public sealed record PrecisionResult(Precision Precision, IReadOnlyList<PhaseResult> Phases, long RoutedTopK);

/// <summary>Everything a model benchmark measured, plus resident memory against checkpoint and KV cache bytes.</summary>
/// <param name="Directory">The model folder.</param>
/// <param name="Config">Its config.</param>
/// <param name="Options">The sizes benchmarked.</param>
/// <param name="Threads">Worker threads.</param>
/// <param name="LoadSeconds">Wall time of <see cref="MoeModel.Load"/>.</param>
/// <param name="Precisions">The phases measured per precision.</param>
/// <param name="CheckpointBytes">Bytes of the folder's safetensors files.</param>
/// <param name="KvCacheBytes">Capacity of the largest KV cache used.</param>
/// <param name="PeakRssBytes">VmHWM before the bandwidth measurement.</param>
/// <param name="Bandwidth">This machine's read bandwidth (GB/s, median and best; <see cref="MemoryBandwidth"/>), the limit of decode.</param>
/// <param name="InterleavedBytes">Weight bytes the load copied into the interleaved decode layout (0: all memory-mapped as stored).</param>
public sealed record ModelBenchmarkReport(
    string Directory, ModelConfig Config, ModelBenchmarkOptions Options, int Threads, double LoadSeconds,
    IReadOnlyList<PrecisionResult> Precisions, long CheckpointBytes, long KvCacheBytes, long PeakRssBytes,
    (double Median, double Best) Bandwidth, long InterleavedBytes)
{
    /// <summary>Peak RSS / (checkpoint bytes + largest KV cache bytes); the target is at most 1.2.</summary>
    public double RssRatio => PeakRssBytes / (double)(CheckpointBytes + KvCacheBytes);
}

/// <summary>
/// `bench --model`: loads a checkpoint (memory-mapped) and times prefill (B × T tokens, routing captured by a
/// top-k counting observer, as detection does) and KV-cached decode at batch 1 and batch B, then reports the
/// effective GFLOP/s and peak resident memory.
/// </summary>
public static class ModelBenchmark
{
    /// <summary>Runs the benchmark for each of <paramref name="precisions"/>; <paramref name="progress"/> gets each phase as it is timed.</summary>
    public static ModelBenchmarkReport Run(string directory, IReadOnlyList<Precision> precisions, ModelBenchmarkOptions options, Action<BenchmarkStep>? progress = null)
    {
        options.Validate();
        double start = Timing.Now();
        using var model = MoeModel.Load(directory);
        double loadSeconds = Timing.Now() - start;
        var config = model.Config;
        if (options.PromptTokens + options.DecodeSteps > config.MaxPositions)
            throw new ArgumentException($"--prompt-tokens + --decode-steps: {options.PromptTokens + options.DecodeSteps} exceeds the model's max positions {config.MaxPositions} ({config.Source}).");
        var flops = new FlopCounter(config);
        var traffic = DecodeTraffic.Of(model);
        var random = new Random(1234);
        int[][] Prompts(int count) => [.. Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, options.PromptTokens).Select(_ => random.Next(config.VocabSize)).ToArray())];

        long kvBytes = 0;
        var results = new List<PrecisionResult>();
        int[] decodeBatches = options.Batch == 1 ? [1] : [1, options.Batch];
        int step = 0, steps = precisions.Count * (1 + decodeBatches.Length) + 1;
        foreach (var precision in precisions)
        {
            var counter = new TopKCounter(config.LayerCount, Math.Max(1, config.ExpertCount));
            var phases = new List<PhaseResult>();
            var prefillPrompts = Prompts(options.Batch);
            var prefillOptions = new ForwardOptions { Precision = precision, Observer = counter };
            var prefill = Timing.Measure(_ => model.Forward(prefillPrompts, prefillOptions), warmup: 1, minRuns: options.Runs, minSeconds: 0);
            phases.Add(new PhaseResult("prefill", options.Batch, (long)options.Batch * options.PromptTokens,
                options.Batch * flops.Prefill(options.PromptTokens), prefill));
            progress?.Invoke(new BenchmarkStep(++step, steps, $"{precision.Name()}: prefill {options.Batch}x{options.PromptTokens} median {prefill.MedianSeconds:F3} s"));
            foreach (int batch in decodeBatches)
            {
                var prompts = Prompts(batch);
                var decode = MeasureDecode(model, prompts, precision, options.DecodeSteps, options.Runs, out long bytes);
                kvBytes = Math.Max(kvBytes, bytes);
                phases.Add(new PhaseResult("decode", batch, (long)batch * options.DecodeSteps,
                    batch * flops.Decode(options.PromptTokens, options.DecodeSteps), decode, DecodeBytes(model, traffic, prompts, precision, options.DecodeSteps)));
                progress?.Invoke(new BenchmarkStep(++step, steps, $"{precision.Name()}: decode batch {batch} x {options.DecodeSteps} steps median {decode.MedianSeconds:F3} s"));
            }
            results.Add(new PrecisionResult(precision, phases, counter.Total));
        }
        // Last, after the model's work: the bandwidth the decode phases are judged against.
        long peakRss = PeakResidentBytes();   // before the bandwidth's buffer
        var bandwidth = MemoryBandwidth.Measure();
        progress?.Invoke(new BenchmarkStep(++step, steps, $"memory read bandwidth: median {bandwidth.Median:F1}, best {bandwidth.Best:F1} GB/s"));
        long checkpointBytes = System.IO.Directory.EnumerateFiles(directory, "*.safetensors")
            .Where(f => !Path.GetFileName(f).StartsWith("reference", StringComparison.Ordinal))
            .Sum(f => new FileInfo(f).Length);
        return new ModelBenchmarkReport(directory, config, options, Parallelism.Threads, loadSeconds, results,
            checkpointBytes, kvBytes, peakRss, bandwidth, model.Weights.InterleavedByteCount);
    }

    /// <summary>
    /// The bytes the timed decode of <paramref name="prompts"/> reads: the same greedy steps once more (untimed) with an
    /// observer of the experts each step routes to, through <see cref="DecodeTraffic.StepBytes"/>.
    /// </summary>
    private static double DecodeBytes(MoeModel model, DecodeTraffic traffic, int[][] prompts, Precision precision, int steps)
    {
        var config = model.Config;
        var distinct = new DistinctExperts(config.LayerCount, Math.Max(1, config.ExpertCount));
        using var cache = model.CreateCache(prompts.Length);
        var last = model.Forward(prompts, new ForwardOptions { Precision = precision }, cache);
        var observed = new ForwardOptions { Precision = precision, Observer = distinct };
        double bytes = 0;
        for (int step = 0; step < steps; step++)
        {
            last = model.Forward(NextTokens(last, prompts.Length), observed, cache);
            distinct.EndCall();
            int[] contexts = [.. prompts.Select(p => p.Length + step + 1)];
            bytes += traffic.StepBytes(distinct.Calls[step], contexts);
        }
        return bytes;
    }

    private static int[][] NextTokens(ForwardResult last, int sequences)
    {
        var next = new int[sequences][];
        for (int s = 0; s < sequences; s++) next[s] = [ArgMax(last.LastLogits.AsSpan(s * last.VocabSize, last.VocabSize))];
        return next;
    }

    /// <summary>
    /// Times <paramref name="steps"/> greedy decode steps after an untimed prefill of <paramref name="prompts"/>, on
    /// either engine; a fresh cache per run. One warm-up run, then <paramref name="runs"/> timed runs (median).
    /// <paramref name="kvBytes"/>: the cache's bytes at the end.
    /// </summary>
    internal static Measurement MeasureDecode(IMoeEngine model, int[][] prompts, Precision precision, int steps, int runs, out long kvBytes)
    {
        var forward = new ForwardOptions { Precision = precision };
        var times = new List<double>();
        kvBytes = 0;
        for (int run = 0; run <= runs; run++)
        {
            using var cache = model.CreateCache(prompts.Length);
            var last = model.Forward(prompts, forward, cache);
            double start = Timing.Now();
            for (int step = 0; step < steps; step++) last = model.Forward(NextTokens(last, prompts.Length), forward, cache);
            double seconds = Timing.Now() - start;
            if (run > 0) times.Add(seconds);   // run 0 is the warm-up
            kvBytes = cache.ByteCount;
        }
        return Timing.Summarise(times);
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    /// <summary>Peak resident set size of this process (VmHWM in /proc/self/status), in bytes.</summary>
    public static long PeakResidentBytes()
    {
        const string path = "/proc/self/status";
        foreach (var line in File.ReadLines(path))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && long.TryParse(parts[1], out long kb)) return kb * 1024;
                throw new FormatException($"{path}: VmHWM line '{line}' is not '<kB> kB'.");
            }
        throw new InvalidDataException($"{path}: no VmHWM line.");
    }

    /// <summary>Counts the top-k choices of every layer and expert, as the detection counters do.</summary>
    internal sealed class TopKCounter(int layers, int experts) : IRoutingObserver
    {
        private readonly long[] _counts = new long[layers * experts];   // [layer, expert]
        public long Total => _counts.Sum();
        public void OnRouting(in RoutingBatch batch)
        {
            foreach (int e in batch.TopKIndex) _counts[batch.Layer * experts + e]++;
        }
    }
}

/// <summary>
/// FLOPs of a forward pass from the active parameters: per token and layer the q/k/v/o projections, the router
/// and k experts' gate/up/down matrices (plus a shared expert), the lm_head (last token of a prefill only), and the attention scores (QKᵀ and
/// the weighted sum of V over the context length). A multiply-add counts as 2 FLOPs.
/// </summary>
public sealed class FlopCounter(ModelConfig config)
{
    private readonly double _perToken = PerTokenWeights(config);
    // Without ReturnLogits the engine applies the lm_head to each sequence's last token only.
    private readonly double _lmHead = 2.0 * config.HiddenSize * config.VocabSize;
    // QKᵀ and attention·V over one context position, all layers: 2 · 2 · heads · headDim each.
    private readonly double _perContext = 4.0 * config.HeadCount * config.HeadDim * config.LayerCount;

    private static double PerTokenWeights(ModelConfig c)
    {
        double h = c.HiddenSize, q = c.HeadCount * c.HeadDim, kv = c.KeyValueHeadCount * c.HeadDim;
        double attention = 2 * h * (q + 2 * kv) + 2 * q * h;
        double router = 2 * h * c.ExpertCount;
        double experts = c.TopK * 3 * 2 * h * c.ExpertIntermediateSize + 3 * 2 * h * c.SharedExpertIntermediateSize;
        double denseMlp = 3 * 2 * h * c.DenseIntermediateSize;   // the dense layers of an interleaved model: no router
        int moeLayers = c.LayerCount - c.DenseLayers.Length;
        return c.LayerCount * attention + moeLayers * (router + experts) + c.DenseLayers.Length * denseMlp + 2 * h * c.VocabSize;
    }

    /// <summary>FLOPs of prefilling one sequence of <paramref name="tokens"/> tokens (causal: token i sees i + 1 positions).</summary>
    public double Prefill(int tokens) => tokens * (_perToken - _lmHead) + _lmHead + _perContext * tokens * (tokens + 1) / 2.0;

    /// <summary>FLOPs of <paramref name="steps"/> decode steps of one sequence after a <paramref name="prompt"/>-token prompt.</summary>
    public double Decode(int prompt, int steps)
    {
        double total = 0;
        for (int i = 1; i <= steps; i++) total += _perToken + _perContext * (prompt + i);
        return total;
    }
}
