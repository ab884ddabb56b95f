using System.CommandLine;
using SteerMoE.Research.Inference;
using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Kernels.Benchmarks;
using SteerMoE.Research.Inference.Models.Benchmarks;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>
/// `steermoe bench`: without --model, the kernel benchmark (GemmBenchmark): this machine's fp32 FMA peak, our
/// `exact` and `fast` GEMMs and oneDNN's bf16 GEMM on the OLMoE-1B-7B shapes, as GFLOP/s and ratios measured in
/// the same run; --with-torch adds Debian's PyTorch on the same shapes.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "a model folder: prefill/decode tokens/s and resident memory (needs the inference engine)" };
        var precision = new Option<string?>("--precision") { Description = "exact|fast, for --model (default: both in one run)" };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "for --model: prompt tokens per sequence (T; default 128, or fewer when the model has fewer positions than T + S)", DefaultValueFactory = _ => 128 };
        var batch = new Option<int>("--batch") { Description = "for --model: sequences in prefill and batched decode (B)", DefaultValueFactory = _ => 4 };
        var decodeSteps = new Option<int>("--decode-steps") { Description = "for --model: timed decode steps per run (S)", DefaultValueFactory = _ => 16 };
        var threads = new Option<int?>("--threads") { Description = "worker threads (default: all cores)" };
        var repeat = new Option<int>("--repeat") { Description = "timed runs at least, per measurement (median reported)", DefaultValueFactory = _ => 5 };
        var clock = new Option<string>("--clock") { Description = "wall (default) or thread-cpu: time by this thread's CPU time, one thread (for a machine shared with other jobs)", DefaultValueFactory = _ => "wall" };
        var tokens = new Option<int[]>("--tokens") { Description = "only the shapes with these token counts (of 1, 4, 64, 512; default all)", AllowMultipleArgumentsPerToken = true };
        var withTorch = new Option<bool>("--with-torch") { Description = "also time Debian's PyTorch (/usr/bin/python3) fp32 and bf16 on the same shapes" };
        var overhead = new Option<bool>("--collection-overhead") { Description = "with --model: time detection collection against the plain forward pass (--batch pairs, --prompt-tokens per side, --repeat runs)" };
        var device = GpuCheckCommand.DeviceOption();
        var baseline = GpuCheckCommand.BaselineOption();
        var command = new Command("bench", "Measure the GEMM kernels against this machine's FMA peak and oneDNN (or, with --model, a model's tokens/s).")
            { model, precision, promptTokens, batch, decodeSteps, threads, repeat, clock, tokens, withTorch, overhead, device, baseline };
        command.SetAction(result =>
        {
            if (result.GetValue(threads) is { } n) Parallelism.Threads = n;
            int runs = result.GetValue(repeat);
            if (runs < 1) throw new ArgumentException($"--repeat: expected at least 1, got {runs}.");
            Precision[] modes = result.GetValue(precision) is { } name ? [PrecisionNames.Parse(name)] : [Precision.Exact, Precision.Fast];
            switch (result.GetValue(clock))
            {
                case "wall": break;
                case "thread-cpu":
                    if (result.GetValue(threads) is { } t && t != 1) throw new ArgumentException($"--clock thread-cpu: times one thread, so it needs --threads 1 (got {t}).");
                    Parallelism.Threads = 1;
                    Timing.UseThreadCpuTime = true;
                    break;
                case var other: throw new ArgumentException($"--clock: expected wall or thread-cpu, got '{other}'.");
            }
            if (GpuCheckCommand.IsCuda(result.GetValue(device)!))   // CUDA: prefill B x T (default 8 x 512) with capture, decode at batch 1 and 32
                return GpuCheckCommand.Bench(result.GetValue(model) ?? throw new ArgumentException("--device cuda: needs --model DIR."), modes,
                    result.GetResult(promptTokens) is null or { Implicit: true } ? null : result.GetValue(promptTokens), result.GetResult(batch) is null or { Implicit: true } ? null : result.GetValue(batch),
                    result.GetValue(decodeSteps), runs, result.GetValue(baseline));
            if (result.GetValue(overhead))
                return BenchCollection(result.GetValue(model) ?? throw new ArgumentException("--collection-overhead: needs --model DIR."),
                    result.GetValue(batch), result.GetValue(promptTokens), runs, modes[0]);
            if (result.GetValue(model) is { } dir)
            {
                // The default prompt length fits small models (models/default has 128 positions): T + S never exceeds them.
                int prompt = result.GetResult(promptTokens) is null or { Implicit: true }
                    ? Math.Max(1, Math.Min(result.GetValue(promptTokens), Inference.Models.ModelConfig.Load(dir).MaxPositions - result.GetValue(decodeSteps)))
                    : result.GetValue(promptTokens);
                return BenchModel(dir, modes, new ModelBenchmarkOptions
                {
                    PromptTokens = prompt, Batch = result.GetValue(batch),
                    DecodeSteps = result.GetValue(decodeSteps), Runs = runs,
                });
            }
            var only = result.GetValue(tokens) is { Length: > 0 } requested ? requested : null;
            foreach (int count in only ?? [])
                if (count is not (1 or 4 or 64 or 512)) throw new ArgumentException($"--tokens: expected 1, 4, 64 or 512, got {count}.");
            return BenchKernels(runs, result.GetValue(withTorch), only);
        });
        return command;
    }

    /// <summary>`bench --model DIR`: prefill and decode tokens/s, effective GFLOP/s and resident memory, as a table.</summary>
    private static int BenchModel(string dir, Precision[] precisions, ModelBenchmarkOptions options)
    {
        var r = ProgressReporter.Run("bench", "phases", progress => ModelBenchmark.Run(dir, precisions, options, progress.Step));
        var c = r.Config;
        Console.WriteLine($"steermoe bench --model {dir}: {c.Architecture}, {c.LayerCount} layers, hidden {c.HiddenSize}, {c.ExpertCount} experts top-{c.TopK}, vocab {c.VocabSize}");
        Console.WriteLine($"{r.Threads} threads, {(Timing.UseThreadCpuTime ? "thread CPU time" : "wall clock")}; prompt {options.PromptTokens} tokens x batch {options.Batch}, {options.DecodeSteps} decode steps; median of {options.Runs} runs after 1 warm-up; load {r.LoadSeconds:F2} s " +
                          (r.InterleavedBytes > 0 ? $"(memory-mapped, {r.InterleavedBytes / (1024.0 * 1024):F1} MiB of BF16 weights copied to the interleaved layout)" : "(memory-mapped, stored layout)"));
        Console.WriteLine();
        Console.WriteLine($"{"precision",-9} {"phase",-8} {"batch",5} {"tokens",7} {"median s",9} {"min s",9} {"tokens/s",10} {"GFLOP/s",8} {"GB/s",7} {"%bw",5}");
        foreach (var p in r.Precisions)
            foreach (var phase in p.Phases)
                Console.WriteLine($"{p.Precision.Name(),-9} {phase.Name,-8} {phase.Batch,5} {phase.TokensPerRun,7} {phase.Time.MedianSeconds,9:F4} {phase.Time.MinSeconds,9:F4} {phase.TokensPerSecond,10:F1} {phase.Gflops,8:F2}" +
                    (phase.GBps is { } gbps ? $" {gbps,7:F2} {100 * gbps / r.Bandwidth.Best,4:F0}%" : ""));
        Console.WriteLine();
        Console.WriteLine($"memory read bandwidth ({r.Threads} threads, {MemoryBandwidth.BufferBytes >> 20} MiB summed): median {r.Bandwidth.Median:F1}, best {r.Bandwidth.Best:F1} GB/s; " +
                          "decode GB/s = the weights and KV cache a step must read (dense weights, each routed expert once a step, the KV context) / median time; %bw of the best");
        foreach (var p in r.Precisions)
            Console.WriteLine($"routing captured ({p.Precision.Name()} prefill runs): {p.RoutedTopK} top-k choices counted");
        const double MiB = 1024 * 1024;
        Console.WriteLine($"memory: peak RSS {r.PeakRssBytes / MiB:F1} MiB; checkpoint {r.CheckpointBytes / MiB:F1} MiB + KV cache {r.KvCacheBytes / MiB:F1} MiB; RSS / (checkpoint + KV) = {r.RssRatio:F2}x (target <= 1.2x)");
        return 0;
    }

    /// <summary>`bench --model DIR --collection-overhead`: what detection collection adds to the forward pass it observes.</summary>
    private static int BenchCollection(string dir, int pairs, int tokens, int runs, Precision precision)
    {
        using var loaded = Inference.Models.MoeModel.Load(dir);
        var r = Detection.Collection.CollectionOverhead.Measure(loaded, pairs, tokens, runs, precision);
        var c = loaded.Config;
        Console.WriteLine($"steermoe bench --model {dir} --collection-overhead: {c.Architecture}, {c.LayerCount} layers x {c.ExpertCount} experts top-{c.TopK}, {precision.Name()}");
        Console.WriteLine($"{Inference.Kernels.Parallelism.Threads} threads, {(Timing.UseThreadCpuTime ? "thread CPU time" : "wall clock")}; {r.Pairs} pairs x 2 sequences x {r.TokensPerSequence} tokens (last {r.TokensPerSequence / 2} counted, {r.MatchedPairs} pairs with matching spans); {runs} interleaved runs after 1 warm-up");
        Console.WriteLine();
        Console.WriteLine($"{"variant",-34} {"median s",9} {"min s",9} {"max s",9} {"vs forward",10}");
        Console.WriteLine($"{"forward (no observer)",-34} {r.Forward.MedianSeconds,9:F4} {r.Forward.MinSeconds,9:F4} {r.Forward.MaxSeconds,9:F4} {"",10}");
        Console.WriteLine($"{"forward + counting + paired t",-34} {r.Counting.MedianSeconds,9:F4} {r.Counting.MinSeconds,9:F4} {r.Counting.MaxSeconds,9:F4} {r.CountingOverhead,10:+0.0%;-0.0%}");
        Console.WriteLine($"{"forward + counting + routing log",-34} {r.CountingWithLog.MedianSeconds,9:F4} {r.CountingWithLog.MinSeconds,9:F4} {r.CountingWithLog.MaxSeconds,9:F4} {r.CountingWithLogOverhead,10:+0.0%;-0.0%}");
        return 0;
    }

    private static int BenchKernels(int runs, bool withTorch, int[]? tokens)
    {
        Console.WriteLine($"steermoe bench: GEMM kernels on the OLMoE-1B-7B shapes (bf16 weights), {Parallelism.Threads} threads, " +
                          (Timing.UseThreadCpuTime ? "timed by thread CPU time" : "timed by the wall clock"));
        var report = ProgressReporter.Run("bench", "steps", progress => GemmBenchmark.Run(runs, progress.Step, tokens));
        Console.WriteLine($"machine: {report.Machine}");
        Console.WriteLine($"managed kernels: {report.Isa}; fast backend: {report.FastBackend}");
        Console.WriteLine($"fp32 FMA peak ({report.Isa} independent FMAs, {report.Threads} threads): median {report.FmaPeakGflops:F1}, best {report.FmaPeakBestGflops:F1} GFLOP/s");
        Console.WriteLine("GFLOP/s as median / best run; ratios best to best (load on a shared machine only ever slows a run).");
        Console.WriteLine();
        Console.WriteLine($"{"shape",-18} {"rows x cols",11} {"T",3} | {"exact",13} {"%peak",5} | {"fast",13} {"oneDNN",13} {"fast/dnnl",9} {"conv%",5}");
        foreach (var r in report.Shapes)
        {
            string Rate(Measurement m) => $"{r.Gflops(m),6:F1}/{r.BestGflops(m),6:F1}";
            string dnnl = r.OneDnn is { } o ? $"{Rate(o)} {r.BestGflops(r.Fast) / r.BestGflops(o),9:P0}" : $"{"-",13} {"-",9}";
            Console.WriteLine($"{r.Shape.Name,-18} {$"{r.Shape.Rows}x{r.Shape.Cols}",11} {r.Shape.Tokens,3} | {Rate(r.Exact)} {r.BestGflops(r.Exact) / report.FmaPeakBestGflops,5:P0} | {Rate(r.Fast)} {dnnl} {r.Conversion.MinSeconds / r.Fast.MinSeconds,5:P0}");
        }
        Console.WriteLine();
        foreach (var a in report.Aggregates)
        {
            double peak = a.Best ? report.FmaPeakBestGflops : report.FmaPeakGflops;
            double exact = a.Flops / a.ExactSeconds / 1e9, fast = a.Flops / a.FastSeconds / 1e9;
            string dnnl = a.OneDnnSeconds is { } d ? $", oneDNN {a.Flops / d / 1e9:F1} GFLOP/s, fast/oneDNN {fast / (a.Flops / d / 1e9):P0}" : "";
            Console.WriteLine($"{a.Name} ({(a.Best ? "best runs" : "medians")}): {a.Flops / 1e9:F2} GFLOP; exact {exact:F1} GFLOP/s ({exact / peak:P0} of peak, {a.ExactSeconds * 1e3:F2} ms), fast {fast:F1} GFLOP/s ({a.FastSeconds * 1e3:F2} ms){dnnl}");
        }
        var dev = report.Deviation;
        Console.WriteLine($"fast vs exact ({dev.Shape.Rows}x{dev.Shape.Cols}, T={dev.Shape.Tokens}, x ~ U(-1,1), W ~ U(-0.05,0.05) bf16): max |diff| {dev.MaxAbs:G3}, max |diff| / rms(exact) {dev.MaxAbsOverRms:G3}, median relative {dev.MedianRelative:G3}");
        if (withTorch)
        {
            Console.WriteLine();
            var torch = TorchReference.Run([.. report.Shapes.Select(r => r.Shape)], report.Threads, out var version, line => Console.Error.WriteLine($"  {line}"));
            Console.WriteLine($"PyTorch {version} ({TorchReference.Python}), torch.nn.functional.linear, {report.Threads} threads:");
            Console.WriteLine($"{"shape",-20} {"rows x cols",12} {"T",4} | {"fp32",7} {"bf16",7} | {"exact/fp32",10} {"fast/bf16",9}");
            foreach (var (t, r) in torch.Zip(report.Shapes))
                Console.WriteLine($"{t.Shape.Name,-20} {$"{t.Shape.Rows}x{t.Shape.Cols}",12} {t.Shape.Tokens,4} | {t.Fp32Gflops,7:F1} {t.Bf16Gflops,7:F1} | {r.Gflops(r.Exact) / t.Fp32Gflops,9:F1}x {r.Gflops(r.Fast) / t.Bf16Gflops,8:F2}x");
        }
        return 0;
    }
}
