using System.CommandLine;
using SteerMoE.Research.Detection.Collection;
using SteerMoE.Research.Inference;
using SteerMoE.Research.Inference.Cuda.Benchmarks;
using SteerMoE.Research.Inference.Cuda.Driver;
using SteerMoE.Research.Inference.Cuda.Model;
using SteerMoE.Research.Inference.Cuda.Native;
using SteerMoE.Research.Inference.Cuda.Parity;
using SteerMoE.Research.Inference.Models;

namespace SteerMoE.Research.Cli.Commands;

/// <summary>
/// `steermoe gpu-check [--fixtures DIR] [--detect-model DIR --detect-pairs FILE]`: the CUDA backend against the CPU
/// engine on every model folder under DIR (default tests/fixtures/hf-parity, or hf-parity beside the binary): exact
/// within 1e-4, fast within its stated bound, routing top-k, steered pass, greedy generations (GpuParity); then the
/// demo's detect on both engines (DetectionParity): exact counts identical, and the share of counted tokens whose fast
/// top-k differs printed. Exit 0 all passed, 1 a check failed, 2 no GPU.
/// Also home of the `--device cuda` paths of `bench --model` and `trace`, and of `--device` parsing for detect and generate.
/// </summary>
internal static class GpuCheckCommand
{
    public static Command Create()
    {
        var fixtures = new Option<string?>("--fixtures") { Description = "folder of model folders (default: tests/fixtures/hf-parity here, or hf-parity beside the binary)" };
        var detectModel = new Option<string?>("--detect-model") { Description = "model folder of the detect check (default: models/default here, or default-model beside the binary)" };
        var detectPairs = new Option<string?>("--detect-pairs") { Description = "paired dataset of the detect check (default: the demo's tools/default-model/data/counting.pairs.jsonl here, or counting.pairs.jsonl beside the binary)" };
        var command = new Command("gpu-check", "Check the CUDA backend against the CPU engine on the parity fixtures (exact, fast, routing, steering, greedy) and detect on the demo's pairs.")
            { fixtures, detectModel, detectPairs };
        command.SetAction(result => Run(result.GetValue(fixtures), result.GetValue(detectModel), result.GetValue(detectPairs)));
        return command;
    }

    /// <summary>
    /// The detect check's model folder and pairs file: the given ones (an error when missing), else the demo's
    /// (models/default and tools/default-model/data/counting.pairs.jsonl here, or default-model/ and
    /// counting.pairs.jsonl beside the binary), else null (the check is skipped).
    /// </summary>
    private static (string Model, string Pairs)? DetectInputs(string? model, string? pairs)
    {
        if (model is not null && !File.Exists(Path.Combine(model, "config.json"))) throw new ArgumentException($"--detect-model: {model}: no config.json in it.");
        if (pairs is not null && !File.Exists(pairs)) throw new ArgumentException($"--detect-pairs: {pairs}: no such file.");
        string here = Directory.GetCurrentDirectory(), beside = AppContext.BaseDirectory;
        model ??= new[] { Path.Combine(here, "models", "default"), Path.Combine(beside, "default-model") }.FirstOrDefault(d => File.Exists(Path.Combine(d, "config.json")));
        pairs ??= new[] { Path.Combine(here, "tools", "default-model", "data", "counting.pairs.jsonl"), Path.Combine(beside, "counting.pairs.jsonl") }.FirstOrDefault(File.Exists);
        return model is null || pairs is null ? null : (Path.GetRelativePath(here, model), Path.GetRelativePath(here, pairs));
    }

    private static int Run(string? fixtures, string? detectModel, string? detectPairs)
    {
        string root = fixtures ?? new[] { Path.Combine("tests", "fixtures", "hf-parity"), Path.Combine(AppContext.BaseDirectory, "hf-parity") }
            .FirstOrDefault(Directory.Exists) ?? throw new ArgumentException("--fixtures: no tests/fixtures/hf-parity here and no hf-parity beside the binary; pass --fixtures DIR.");
        var models = Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, "config.json"))).Order(StringComparer.Ordinal).ToList();
        if (models.Count == 0) throw new ArgumentException($"--fixtures: {root}: no model folder (config.json) in it.");
        // proves the kernel sources survived publishing (trimmed single file) before anything needs a GPU
        Console.WriteLine($"kernel sources: {string.Join(", ", Inference.Cuda.Kernels.KernelSources.Names)} ({Inference.Cuda.Kernels.KernelSources.Program().Length} characters)");
        Console.WriteLine($"models: {string.Join(", ", models.Select(Path.GetFileName))} ({root})");
        var detect = DetectInputs(detectModel, detectPairs);
        Console.WriteLine(detect is { } d ? $"detect: {d.Pairs} on {d.Model}" : "detect: skipped (no models/default or counting.pairs.jsonl found; give --detect-model and --detect-pairs)");
        RequireGpu("gpu-check");
        Console.WriteLine($"device: {CudaDevice.Description}");
        var all = new List<ParityCheck>();
        foreach (var dir in models)
        {
            try { all.AddRange(GpuParity.Run(dir, line => Console.Error.WriteLine($"  {line}"))); }
            catch (Exception e) when (e is CudaException or NotSupportedException)
            {
                all.Add(new ParityCheck(Path.GetFileName(dir), "runs on CUDA", 0, 0, false, e.Message));
            }
        }
        DetectionParityResult? detected = null;
        if (detect is { } inputs)
        {
            try
            {
                detected = RunDetect(inputs.Model, inputs.Pairs);
                all.Add(new ParityCheck(Path.GetFileName(Path.TrimEndingDirectorySeparator(inputs.Model)), "detect exact: counts cells differing", detected.ExactCellsDiffering, 0,
                    detected.ExactCountsEqual, $"{detected.CountedTokens} counted tokens; counts.csv {(detected.ExactCountsEqual ? "identical" : "DIFFERS")}"));
            }
            catch (Exception e) when (e is CudaException or NotSupportedException)
            {
                all.Add(new ParityCheck(Path.GetFileName(Path.TrimEndingDirectorySeparator(inputs.Model)), "detect runs on CUDA", 0, 0, false, e.Message));
            }
        }
        Console.WriteLine($"{"fixture",-14} {"check",-40} {"value",11} {"bound",11} {"ok",4}  detail");
        foreach (var c in all)
            Console.WriteLine($"{c.Fixture,-14} {c.Name,-40} {c.Value,11:G4} {c.Bound,11:G4} {(c.Passed ? "yes" : "NO"),4}  {c.Detail}");
        if (detected is { } r)
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"detect fast: {r.FastTokensDiffering} of {r.CountedTokens} counted tokens ({r.FastTokenShare:P2}) have a GPU fast top-k that differs from the CPU exact one in some layer " +
                $"({r.FastTokenLayersDiffering} of {r.CountedTokens * r.Layers} token-layers, {r.FastTokenLayerShare:P2}); CPU fast vs CPU exact: {r.CpuFastTokensDiffering} ({r.CpuFastTokenShare:P2})"));
        int failed = all.Count(c => !c.Passed);
        Console.WriteLine(failed == 0 ? $"gpu-check: all {all.Count} checks passed on {models.Count} models" : $"gpu-check: {failed} of {all.Count} checks FAILED");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>Detection on the CPU and the GPU over the same pairs, in a temporary folder removed afterwards.</summary>
    private static DetectionParityResult RunDetect(string modelDir, string pairs)
    {
        string work = Path.Combine(Path.GetTempPath(), $"steermoe-gpu-check-detect-{Environment.ProcessId}");
        try
        {
            using var cpu = MoeModel.Load(modelDir);
            using var gpu = CudaModel.Load(cpu);
            return DetectionParity.Run(cpu, gpu, pairs, work);
        }
        finally { if (Directory.Exists(work)) Directory.Delete(work, recursive: true); }
    }

    /// <summary>The `--device` option of the commands that run a model (cpu or cuda).</summary>
    public static Option<string> DeviceOption() => new("--device") { Description = "cpu (default) or cuda", DefaultValueFactory = _ => "cpu" };

    /// <summary>The `--baseline` option of `bench --device cuda`: hf_bench.py's JSON, for ratios in the same run.</summary>
    public static Option<string?> BaselineOption() => new("--baseline") { Description = "with --device cuda: tools/gpu/hf_bench.py's JSON of the same model on the same machine; prints the ratios" };

    /// <summary>True for --device cuda, false for cpu; anything else is a usage error (<see cref="MoeEngine.ParseDevice"/>).</summary>
    public static bool IsCuda(string device) => MoeEngine.ParseDevice(device) == EngineDevice.Cuda;

    /// <summary>
    /// No usable GPU: an <see cref="ArgumentException"/> "<paramref name="what"/>: CUDA: libcuda.so.1 ... not found",
    /// which the command runner prints as one line with exit code 2.
    /// </summary>
    private static void RequireGpu(string what)
    {
        if (!CudaDevice.Available) throw new ArgumentException($"{what}: {CudaDevice.Description}");
    }

    /// <summary>
    /// The engine of a `--device` value for <paramref name="command"/>; cuda without a driver or GPU is an
    /// <see cref="ArgumentException"/> ("COMMAND --device cuda: CUDA: libcuda.so.1 ... not found", exit 2) before any work.
    /// </summary>
    public static EngineDevice ParseEngine(string device, string command)
    {
        if (!IsCuda(device)) return EngineDevice.Cpu;
        RequireGpu($"{command} --device cuda");
        return EngineDevice.Cuda;
    }

    /// <summary>`trace --device cuda`: the trace file of the CPU engine's `trace`, computed by the CUDA backend.</summary>
    public static int Trace(string dir, TraceRequest request, string? planPath, LoadOptions? load = null)
    {
        RequireGpu("trace --device cuda");
        using var cpu = MoeModel.Load(dir, load);
        using var gpu = CudaModel.Load(cpu);
        var c = cpu.Config;
        var rewrite = planPath is null ? null : Inference.Routing.SteeringRewrite.Load(planPath, (c.LayerCount, c.ExpertCount, c.TopK), c.DenseLayers);
        ModelTrace.Run(c, (rows, options) => gpu.Forward(rows, options), gpu.Generate, request with { Rewrite = rewrite });
        Console.WriteLine($"wrote {request.OutputPath} (CUDA: {gpu.Description})");
        return 0;
    }

    /// <summary>`bench --device cuda --model DIR`: prefill B × T with routing capture, decode at batch 1 and 32, per precision.</summary>
    public static int Bench(string dir, Precision[] precisions, int? promptTokens, int? batch, int decodeSteps, int runs, string? baselinePath)
    {
        var baseline = baselinePath is null ? null : BaselineNumbers.Load(baselinePath);
        RequireGpu("bench --device cuda");
        using var cpu = MoeModel.Load(dir);
        var c = cpu.Config;
        var load = System.Diagnostics.Stopwatch.StartNew();
        using var gpu = CudaModel.Load(cpu);
        Console.WriteLine($"steermoe bench --device cuda --model {dir}: {c.Architecture}, {c.LayerCount} layers, hidden {c.HiddenSize}, {c.ExpertCount} experts top-{c.TopK}, vocab {c.VocabSize}");
        Console.WriteLine($"{gpu.Description}");
        Console.WriteLine($"upload {load.Elapsed.TotalSeconds:F1} s, weights {gpu.WeightBytes / 1048576.0:F0} MiB on the device");
        Console.WriteLine();
        Console.WriteLine($"{"precision",-9} {"phase",-8} {"batch",5} {"tokens",8} {"median s",9} {"tokens/s",11} {"baseline",10} {"ratio",7}");
        foreach (var precision in precisions)
        {
            var options = new CudaBenchmarkOptions
            {
                PromptTokens = promptTokens ?? 512, PrefillBatch = batch ?? 8, DecodeSteps = decodeSteps, Runs = runs, Precision = precision,
            };
            var (phases, routed) = CudaModelBenchmark.Run(cpu, gpu, options, line => Console.Error.WriteLine($"  {line}"));
            foreach (var p in phases)
            {
                double? reference = baseline is null ? null : p.Name == "prefill" ? baseline.Prefill : p.Batch == 1 ? baseline.DecodeBatch1 : p.Batch == 32 ? baseline.DecodeBatch32 : null;
                string refText = reference is { } r ? $"{r,10:F1} {p.TokensPerSecond / r,6:F2}x" : $"{"-",10} {"-",7}";
                Console.WriteLine($"{precision.Name(),-9} {p.Name,-8} {p.Batch,5} {p.TokensPerRun,8} {p.Time.MedianSeconds,9:F4} {p.TokensPerSecond,11:F1} {refText}");
            }
            Console.WriteLine($"routing captured ({precision.Name()} prefill runs): {routed} top-k choices counted");
        }
        if (CudaModel.GroupedGemmRefusal is { } refusal) Console.WriteLine($"expert GEMMs: one per expert (grouped GEMM refused: {refusal})");
        if (baseline is not null) Console.WriteLine($"baseline: {baseline.Source}; targets: prefill >= 2x, decode batch 1 >= 5x (fast)");
        Console.WriteLine($"device memory: weights {gpu.WeightBytes / 1048576.0:F0} MiB, scratch {gpu.WorkspaceBytes / 1048576.0:F0} MiB");
        return 0;
    }
}
