using System.Runtime.InteropServices;

namespace SteerMoE.Research.Inference.Kernels.Benchmarks;

/// <summary>One GEMM shape: W [Rows, Cols] (bf16, as the checkpoints store it) times <see cref="Tokens"/> token rows.</summary>
/// <param name="Name">What the shape is in the model (e.g. "attention q/k/v/o").</param>
/// <param name="Rows">Output features.</param>
/// <param name="Cols">Input features.</param>
/// <param name="Tokens">Token rows of x.</param>
public sealed record GemmShape(string Name, int Rows, int Cols, int Tokens)
{
    /// <summary>Floating-point operations of one product (a multiply and an add per term).</summary>
    public double Flops => 2.0 * Rows * Cols * Tokens;
}

/// <summary>Timings of one shape; GFLOP/s are computed from the medians.</summary>
/// <param name="Shape">The shape timed.</param>
/// <param name="Exact">Our `exact` GEMM (fp32 accumulation, bf16 weights widened in the kernel).</param>
/// <param name="Fast">Our `fast` entry point, conversions included (<see cref="MatMul.FastBackend"/>).</param>
/// <param name="OneDnn">oneDNN's bf16 GEMM alone on activations already in bf16; null without libdnnl.</param>
/// <param name="Conversion">Rounding the activations [Tokens, Cols] to bf16 (part of <paramref name="Fast"/>).</param>
public sealed record GemmTimings(GemmShape Shape, Measurement Exact, Measurement Fast, Measurement? OneDnn, Measurement Conversion)
{
    /// <summary>GFLOP/s of a measurement of this shape, from its median run.</summary>
    public double Gflops(Measurement m) => m.MedianRate(Shape.Flops) / 1e9;
    /// <summary>GFLOP/s of a measurement of this shape, from its best run.</summary>
    public double BestGflops(Measurement m) => m.BestRate(Shape.Flops) / 1e9;
}

/// <summary>A weighted set of shapes (e.g. one decoder layer) with the summed medians of each method.</summary>
/// <param name="Name">What the set models.</param>
/// <param name="Flops">Total floating-point operations.</param>
/// <param name="ExactSeconds">Summed `exact` medians.</param>
/// <param name="FastSeconds">Summed `fast` medians.</param>
/// <param name="OneDnnSeconds">Summed oneDNN medians (null without libdnnl).</param>
/// <param name="Best">True when the sums are of best runs instead of medians.</param>
public sealed record GemmAggregate(string Name, double Flops, double ExactSeconds, double FastSeconds, double? OneDnnSeconds, bool Best);

/// <summary>fast versus exact on random data: the bf16 rounding of the inputs, measured.</summary>
/// <param name="Shape">Where it was measured.</param>
/// <param name="MaxAbs">max |fast − exact|.</param>
/// <param name="MaxAbsOverRms">max |fast − exact| divided by the root-mean-square of exact.</param>
/// <param name="MedianRelative">median |fast − exact| / |exact|.</param>
public sealed record FastDeviation(GemmShape Shape, double MaxAbs, double MaxAbsOverRms, double MedianRelative);

/// <summary>Everything `steermoe bench` measures without a model, in one run.</summary>
/// <param name="Machine">CPU model, cores, load average and runtime, as printed.</param>
/// <param name="Threads">Worker threads.</param>
/// <param name="Isa">The managed kernels' instruction set.</param>
/// <param name="FastBackend">What runs `fast` on BF16 weights (<see cref="MatMul.FastBackend"/>).</param>
/// <param name="Shapes">Timings per shape.</param>
/// <param name="Aggregates">Sums over the GEMMs of one OLMoE layer.</param>
/// <param name="Deviation">fast versus exact on random data.</param>
/// <param name="FmaPeakGflops">Median of the FMA-peak runs.</param>
/// <param name="FmaPeakBestGflops">Best FMA-peak run.</param>
public sealed record KernelBenchmarkReport(
    string Machine, int Threads, KernelIsa Isa, string FastBackend, double FmaPeakGflops, double FmaPeakBestGflops,
    IReadOnlyList<GemmTimings> Shapes, IReadOnlyList<GemmAggregate> Aggregates, FastDeviation Deviation);

/// <summary>
/// The kernel benchmark on the OLMoE-1B-7B shapes (hidden 2048, expert intermediate 1024, 64 experts top-8,
/// vocabulary 50304, 16 heads of 128): the FMA ceiling, then our `exact` and `fast` GEMMs and oneDNN's bf16 GEMM on
/// each shape at 1 and 512 tokens (and 64, the tokens an expert gets from a 512-token prefill with top-8 of 64).
/// Small batches rotate over several copies of the weights (≥ 256 MB in all) so decode is measured from memory,
/// as in the model, not from a warm cache.
/// </summary>
public static unsafe class GemmBenchmark
{
    /// <summary>OLMoE-1B-7B's GEMM shapes at the given token count.</summary>
    public static IEnumerable<GemmShape> OlmoeShapes(int tokens, bool expertsOnly = false)
    {
        if (!expertsOnly)
        {
            yield return new GemmShape("attention q/k/v/o", 2048, 2048, tokens);
            yield return new GemmShape("router", 64, 2048, tokens);
        }
        yield return new GemmShape("expert gate/up", 1024, 2048, tokens);
        yield return new GemmShape("expert down", 2048, 1024, tokens);
        if (!expertsOnly) yield return new GemmShape("lm_head", 50304, 2048, tokens);
    }

    /// <summary>
    /// The shapes `bench` measures: every OLMoE shape at 1, 4 (batched decode) and 512 tokens, the experts' also at
    /// 64 (a 512-token prefill's share per expert).
    /// </summary>
    public static List<GemmShape> DefaultShapes() =>
        [.. OlmoeShapes(1), .. OlmoeShapes(4), .. OlmoeShapes(64, expertsOnly: true), .. OlmoeShapes(512)];

    /// <summary>
    /// Runs the whole benchmark; <paramref name="progress"/> gets each step as it finishes. <paramref name="tokens"/>
    /// keeps only the shapes with those token counts (the layer aggregates need 1, 64 and 512).
    /// </summary>
    public static KernelBenchmarkReport Run(int minRuns = 5, Action<BenchmarkStep>? progress = null, IReadOnlyCollection<int>? tokens = null)
    {
        var shapes = DefaultShapes().Where(s => tokens == null || tokens.Contains(s.Tokens)).ToArray();
        int step = 0, steps = shapes.Length + 2;   // the peak before and after the shapes
        var (peak, peakBest) = FmaPeak.Measure(Parallelism.Threads);
        progress?.Invoke(new BenchmarkStep(++step, steps, $"fp32 FMA peak: median {peak:F1}, best {peakBest:F1} GFLOP/s"));
        var results = new List<GemmTimings>();
        foreach (var shape in shapes)
        {
            var r = Measure(shape, minRuns);
            results.Add(r);
            progress?.Invoke(new BenchmarkStep(++step, steps, $"{shape.Name} {shape.Rows}x{shape.Cols} T={shape.Tokens}: exact {r.Gflops(r.Exact):F1}, fast {r.Gflops(r.Fast):F1}" +
                             (r.OneDnn is { } o ? $", oneDNN {r.Gflops(o):F1}" : "") + " GFLOP/s (medians)"));
        }
        // The peak again at the end: the load of a shared machine drifts; the better of the two runs counts.
        var (peak2, peakBest2) = FmaPeak.Measure(Parallelism.Threads);
        progress?.Invoke(new BenchmarkStep(++step, steps, $"fp32 FMA peak again: median {peak2:F1}, best {peakBest2:F1} GFLOP/s"));
        var deviation = MeasureDeviation(new GemmShape("attention q/k/v/o", 2048, 2048, 64));
        return new KernelBenchmarkReport(MachineDescription(), Parallelism.Threads, MatMul.Isa, MatMul.FastBackend,
            Math.Max(peak, peak2), Math.Max(peakBest, peakBest2), results, [.. Aggregates(results, best: false), .. Aggregates(results, best: true)], deviation);
    }

    /// <summary>
    /// One OLMoE decoder layer's GEMMs: prefill of 512 tokens (q/k/v/o and router at 512, each of the 64 experts'
    /// gate, up and down at 64 tokens) and decode of one token (experts: the 8 chosen).
    /// </summary>
    private static List<GemmAggregate> Aggregates(List<GemmTimings> results, bool best)
    {
        double Seconds(Measurement m) => best ? m.MinSeconds : m.MedianSeconds;
        GemmTimings? Find(string name, int tokens) => results.SingleOrDefault(r => r.Shape.Name == name && r.Shape.Tokens == tokens);
        GemmAggregate? Layer(string name, int tokens, int expertTokens, int experts)
        {
            var found = new (GemmTimings? Timings, int Count)[]
            {
                (Find("attention q/k/v/o", tokens), 4), (Find("router", tokens), 1),
                (Find("expert gate/up", expertTokens), 2 * experts), (Find("expert down", expertTokens), experts),
            };
            if (found.Any(p => p.Timings == null)) return null;   // shapes filtered out
            var parts = found.Select(p => (Timings: p.Timings!, p.Count)).ToArray();
            bool dnnl = parts.All(p => p.Timings.OneDnn != null);
            return new GemmAggregate(name, parts.Sum(p => p.Count * p.Timings.Shape.Flops),
                parts.Sum(p => p.Count * Seconds(p.Timings.Exact)), parts.Sum(p => p.Count * Seconds(p.Timings.Fast)),
                dnnl ? parts.Sum(p => p.Count * Seconds(p.Timings.OneDnn!)) : null, best);
        }
        return [.. new[] { Layer("OLMoE layer, prefill 512 tokens", 512, 64, 64), Layer("OLMoE layer, decode 1 token", 1, 1, 8) }.OfType<GemmAggregate>()];
    }

    /// <summary>Times exact, fast, oneDNN alone and the activation conversion on one shape.</summary>
    public static GemmTimings Measure(GemmShape shape, int minRuns = 5)
    {
        long weightBytes = (long)shape.Rows * shape.Cols * 2;
        int copies = shape.Tokens <= 4 ? (int)Math.Max(1, (256L << 20) / weightBytes + 1) : 1;
        var random = new Random(shape.Rows ^ shape.Cols ^ shape.Tokens);
        var weights = new ushort*[copies];
        float[] x = RandomValues(random, (long)shape.Tokens * shape.Cols, 1f);
        float[] y = new float[(long)shape.Tokens * shape.Rows];
        ushort* xb = (ushort*)NativeMemory.AlignedAlloc((nuint)((long)shape.Tokens * shape.Cols * 2), 64);
        try
        {
            for (int c = 0; c < copies; c++)
            {
                weights[c] = (ushort*)NativeMemory.AlignedAlloc((nuint)weightBytes, 64);
                FillBf16(random, weights[c], (long)shape.Rows * shape.Cols, 0.05f);
            }
            WeightMatrix W(int run) => new(DType.BF16, weights[run % copies], shape.Rows, shape.Cols);
            double budget = Math.Max(0.3, Math.Min(1.0, shape.Flops / 100e9));
            fixed (float* px = x, py = y)
            {
                float* xs = px, ys = py;
                var conversion = Timing.Measure(_ => BFloat16Rounding.ToBits(xs, xb, (long)shape.Tokens * shape.Cols), minRuns: minRuns, minSeconds: 0.05);
                var methods = new List<Action<int>>
                {
                    run => MatMul.Linear(x, W(run), y, shape.Tokens, Precision.Exact),
                    run => MatMul.Linear(x, W(run), y, shape.Tokens, Precision.Fast),
                };
                // oneDNN on its own terms: its OpenMP threading, activations already bf16.
                if (OneDnn.Available) methods.Add(run => OneDnn.GemmBf16(xb, weights[run % copies], ys, shape.Tokens, shape.Rows, shape.Cols));
                // The largest products (lm_head over 512 tokens, ~100 GFLOP) get 1 warm-up and at most 3 timed runs.
                bool huge = shape.Flops > 10e9;
                var m = Timing.MeasureInterleaved(methods, warmup: huge ? 1 : 2, minRuns: huge ? Math.Min(3, minRuns) : minRuns, minSeconds: budget);
                var (exact, fast, oneDnn) = (m[0], m[1], m.Length > 2 ? m[2] : null);
                return new GemmTimings(shape, exact, fast, oneDnn, conversion);
            }
        }
        finally
        {
            foreach (var w in weights) if (w != null) NativeMemory.AlignedFree(w);
            NativeMemory.AlignedFree(xb);
        }
    }

    /// <summary>fast versus exact on uniform random x in [−1, 1] and bf16 weights in [−0.05, 0.05].</summary>
    public static FastDeviation MeasureDeviation(GemmShape shape)
    {
        var random = new Random(42);
        long n = (long)shape.Rows * shape.Cols;
        ushort* w = (ushort*)NativeMemory.AlignedAlloc((nuint)(n * 2), 64);
        try
        {
            FillBf16(random, w, n, 0.05f);
            var matrix = new WeightMatrix(DType.BF16, w, shape.Rows, shape.Cols);
            float[] x = RandomValues(random, (long)shape.Tokens * shape.Cols, 1f);
            float[] exact = new float[(long)shape.Tokens * shape.Rows], fast = new float[exact.Length];
            MatMul.Linear(x, matrix, exact, shape.Tokens, Precision.Exact);
            MatMul.Linear(x, matrix, fast, shape.Tokens, Precision.Fast);
            double maxAbs = 0, sumSquares = 0;
            var relative = new double[exact.Length];
            for (int i = 0; i < exact.Length; i++)
            {
                double d = Math.Abs(fast[i] - exact[i]);
                maxAbs = Math.Max(maxAbs, d);
                sumSquares += (double)exact[i] * exact[i];
                relative[i] = exact[i] == 0 ? 0 : d / Math.Abs(exact[i]);
            }
            Array.Sort(relative);
            return new FastDeviation(shape, maxAbs, maxAbs / Math.Sqrt(sumSquares / exact.Length), relative[relative.Length / 2]);
        }
        finally { NativeMemory.AlignedFree(w); }
    }

    /// <summary>CPU model, cores, load average: the environment the numbers belong to.</summary>
    public static string MachineDescription()
    {
        string cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        return $"{cpu}, {Environment.ProcessorCount} logical cores, load average {load}, .NET {Environment.Version}";
    }

    private static float[] RandomValues(Random random, long n, float scale)
    {
        var values = new float[n];
        for (long i = 0; i < n; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    private static void FillBf16(Random random, ushort* dst, long n, float scale)
    {
        for (long i = 0; i < n; i++) dst[i] = BFloat16Rounding.ToBits((float)(random.NextDouble() * 2 - 1) * scale);
    }
}
