using System.Diagnostics;
using System.Text.Json;
using SteerMoE.Research.Inference.Cuda.Model;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Inference.Cuda.Benchmarks;

/// <summary>Sizes of the GPU model benchmark (the issue's: prefill 8 × 512 with routing capture, decode at batch 1 and 32).</summary>
public sealed record CudaBenchmarkOptions
{
    /// <summary>Prompt tokens per sequence (T), also the context the decode steps continue.</summary>
    public int PromptTokens { get; init; } = 512;
    /// <summary>Sequences in the prefill run (B).</summary>
    public int PrefillBatch { get; init; } = 8;
    /// <summary>Batch sizes of the decode runs.</summary>
    public IReadOnlyList<int> DecodeBatches { get; init; } = [1, 32];
    /// <summary>Timed decode steps per decode run (S).</summary>
    public int DecodeSteps { get; init; } = 32;
    /// <summary>Timed runs per phase (median reported) after one warm-up run.</summary>
    public int Runs { get; init; } = 3;
    /// <summary>Numeric mode.</summary>
    public Precision Precision { get; init; } = Precision.Fast;
}

/// <summary>One timed phase: tokens per run and the run times in seconds.</summary>
public sealed record CudaPhase(string Name, int Batch, long TokensPerRun, IReadOnlyList<double> Seconds)
{
    /// <summary>Median seconds a run.</summary>
    public double MedianSeconds => Seconds.Order().ElementAt(Seconds.Count / 2);
    /// <summary>Tokens per second of the median run.</summary>
    public double TokensPerSecond => TokensPerRun / MedianSeconds;
}

/// <summary>The baseline's tokens/s (hf_bench.py's JSON: prefill_tokens_per_s, decode_b1_tokens_per_s, decode_b32_tokens_per_s).</summary>
public sealed record BaselineNumbers(string Source, double Prefill, double DecodeBatch1, double DecodeBatch32)
{
    /// <summary>Reads tools/gpu/hf_bench.py's output; errors name the file and the field.</summary>
    public static BaselineNumbers Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        double Field(string name) => doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble()
            : throw new FormatException($"{path}: field '{name}': expected a number (tokens/s).");
        string label = doc.RootElement.TryGetProperty("label", out var l) ? l.GetString() ?? path : path;
        return new BaselineNumbers(label, Field("prefill_tokens_per_s"), Field("decode_b1_tokens_per_s"), Field("decode_b32_tokens_per_s"));
    }
}

/// <summary>
/// `bench --device cuda --model DIR`: loads the checkpoint on the CPU (memory-mapped), copies it to the GPU and times
/// the prefill of B × T tokens with a top-k counting observer (routing capture on, as detection runs) and KV-cached
/// decode steps at each decode batch size after a T-token prompt. Each forward ends with a stream synchronisation,
/// so wall-clock times are GPU times plus launch overhead.
/// </summary>
public static class CudaModelBenchmark
{
    /// <summary>Runs the phases; <paramref name="progress"/> gets a line per phase.</summary>
    public static (IReadOnlyList<CudaPhase> Phases, long RoutedTopK) Run(MoeModel cpu, CudaModel gpu, CudaBenchmarkOptions options, Action<string>? progress = null)
    {
        if (options.PromptTokens < 1 || options.PrefillBatch < 1 || options.DecodeSteps < 1 || options.Runs < 1 || options.DecodeBatches.Any(b => b < 1))
            throw new ArgumentException("bench --device cuda: prompt tokens, batches, decode steps and runs must be at least 1.");
        var random = new Random(0);
        int vocab = cpu.Config.VocabSize;
        int[][] Prompts(int batch) => Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, options.PromptTokens).Select(_ => random.Next(0, vocab)).ToArray()).ToArray();
        var phases = new List<CudaPhase>();
        var counter = new TopKCounter();
        var prompts = Prompts(options.PrefillBatch);
        var prefill = new List<double>();
        for (int run = 0; run <= options.Runs; run++)
        {
            var sw = Stopwatch.StartNew();
            gpu.Forward(prompts, new ForwardOptions { Precision = options.Precision, Observer = counter });
            if (run > 0) prefill.Add(sw.Elapsed.TotalSeconds);
        }
        phases.Add(new CudaPhase("prefill", options.PrefillBatch, (long)options.PrefillBatch * options.PromptTokens, prefill));
        progress?.Invoke($"prefill {options.PrefillBatch} x {options.PromptTokens}: {phases[^1].TokensPerSecond:F0} tokens/s");
        foreach (int batch in options.DecodeBatches)
        {
            var contexts = Prompts(batch);
            var times = new List<double>();
            for (int run = 0; run <= options.Runs; run++)
            {
                using var cache = gpu.CreateCache(batch);
                var result = gpu.Forward(contexts, new ForwardOptions { Precision = options.Precision }, cache);
                var sw = Stopwatch.StartNew();
                for (int step = 0; step < options.DecodeSteps; step++)
                {
                    var next = new int[batch][];
                    for (int b = 0; b < batch; b++) next[b] = [Sampling.Next(result.LastLogits.AsSpan(b * vocab, vocab), 0, 1, random)];
                    result = gpu.Forward(next, new ForwardOptions { Precision = options.Precision }, cache);
                }
                if (run > 0) times.Add(sw.Elapsed.TotalSeconds);
            }
            phases.Add(new CudaPhase("decode", batch, (long)batch * options.DecodeSteps, times));
            progress?.Invoke($"decode batch {batch}: {phases[^1].TokensPerSecond:F1} tokens/s");
        }
        return (phases, counter.Count);
    }

    private sealed class TopKCounter : IRoutingObserver
    {
        public long Count;
        public void OnRouting(in RoutingBatch batch) => Count += batch.TopKIndex.Length;
    }
}
