using System.Text.Json;
using SteerMoE.Research.Inference.Cuda.Model;
using SteerMoE.Research.Inference.Kernels.Benchmarks;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Models.Benchmarks;

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
    public static (IReadOnlyList<PhaseResult> Phases, long RoutedTopK) Run(MoeModel cpu, CudaModel gpu, CudaBenchmarkOptions options, Action<string>? progress = null)
    {
        if (options.PromptTokens < 1 || options.PrefillBatch < 1 || options.DecodeSteps < 1 || options.Runs < 1 || options.DecodeBatches.Any(b => b < 1))
            throw new ArgumentException("bench --device cuda: prompt tokens, batches, decode steps and runs must be at least 1.");
        var random = new Random(0);
        var config = cpu.Config;
        var flops = new FlopCounter(config);
        int[][] Prompts(int batch) => Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, options.PromptTokens).Select(_ => random.Next(0, config.VocabSize)).ToArray()).ToArray();
        var phases = new List<PhaseResult>();
        var counter = new ModelBenchmark.TopKCounter(config.LayerCount, Math.Max(1, config.ExpertCount));
        var prompts = Prompts(options.PrefillBatch);
        var prefillOptions = new ForwardOptions { Precision = options.Precision, Observer = counter };
        // Forward returns after the stream is synchronised (the last logits are copied back), so host timing is the GPU's.
        var prefill = Timing.Measure(_ => gpu.Forward(prompts, prefillOptions), warmup: 1, minRuns: options.Runs, minSeconds: 0, maxRuns: options.Runs);
        phases.Add(new PhaseResult("prefill", options.PrefillBatch, (long)options.PrefillBatch * options.PromptTokens,
            options.PrefillBatch * flops.Prefill(options.PromptTokens), prefill));
        progress?.Invoke($"prefill {options.PrefillBatch} x {options.PromptTokens}: {phases[^1].TokensPerSecond:F0} tokens/s");
        foreach (int batch in options.DecodeBatches)
        {
            var decode = ModelBenchmark.MeasureDecode(gpu, Prompts(batch), options.Precision, options.DecodeSteps, options.Runs, out _);
            phases.Add(new PhaseResult("decode", batch, (long)batch * options.DecodeSteps, batch * flops.Decode(options.PromptTokens, options.DecodeSteps), decode));
            progress?.Invoke($"decode batch {batch}: {phases[^1].TokensPerSecond:F1} tokens/s");
        }
        return (phases, counter.Total);
    }
}
