using SteerMoE.Research.Detection.Collection;
using SteerMoE.Research.Inference.Cuda.Driver;
using SteerMoE.Research.Inference.Cuda.Model;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Tests;
using Xunit.Abstractions;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>Runs only where a CUDA driver and device are present.</summary>
public sealed class GpuFactAttribute : FactAttribute
{
    /// <summary>Skips with "no CUDA device: skipped" and the reason.</summary>
    public GpuFactAttribute()
    {
        if (!CudaDevice.Available) Skip = $"no CUDA device: skipped ({CudaDevice.Description})";
    }
}

/// <summary>The demo's detect (counting pairs, models/default) on the GPU against the CPU (issue 7).</summary>
public class DetectOnGpuTests(ITestOutputHelper output)
{
    private static string Model => RepoPaths.Get("models", "default");
    private static string Pairs => RepoPaths.Get("tools", "default-model", "data", "counting.pairs.jsonl");

    [GpuFact]
    public void ExactDetectOnTheGpuWritesTheCpusCountsCsv()
    {
        string cpuDir = RepoPaths.TempDir("detect-cpu"), gpuDir = RepoPaths.TempDir("detect-gpu");
        var cpu = Cli.Run("detect", "--model", Model, "--pairs", Pairs, "--out", cpuDir, "--resamples", "0");
        Assert.True(cpu.ExitCode == 0, cpu.Stderr);
        var gpu = Cli.Run("detect", "--device", "cuda", "--model", Model, "--pairs", Pairs, "--out", gpuDir, "--resamples", "0");
        Assert.True(gpu.ExitCode == 0, gpu.Stderr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(cpuDir, "counts.csv")), File.ReadAllBytes(Path.Combine(gpuDir, "counts.csv")));
        Assert.Contains("\"engine\":", File.ReadAllText(Path.Combine(gpuDir, "run.json")));
    }

    [GpuFact]
    public void FastDetectOnTheGpuStatesTheShareOfCountedTokensWhoseTopKDiffers()
    {
        using var cpu = MoeModel.Load(Model);
        using var gpu = CudaModel.Load(cpu);
        var r = DetectionParity.Run(cpu, gpu, Pairs, RepoPaths.TempDir("detect-parity"));
        output.WriteLine($"{gpu.Description}");
        output.WriteLine($"exact: {r.ExactCellsDiffering} count cells differ; fast: {r.FastTokensDiffering} of {r.CountedTokens} counted tokens ({r.FastTokenShare:P2}) " +
                         $"have a top-k that differs from the CPU exact one; {r.FastTokenLayersDiffering} token-layers ({r.FastTokenLayerShare:P2}); CPU fast: {r.CpuFastTokensDiffering} ({r.CpuFastTokenShare:P2})");
        Assert.True(r.CountedTokens > 0);
        Assert.True(r.ExactCountsEqual, $"{r.ExactCellsDiffering} count cells differ in exact mode");
    }
}
