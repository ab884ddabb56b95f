using SteerMoE.Research.Inference.Cuda.Driver;
using SteerMoE.Research.Inference.Cuda.Model;
using SteerMoE.Research.Inference.Cuda.Native;
using SteerMoE.Research.Inference.Cuda.Parity;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Inference.Tests.Cuda;

/// <summary>Runs only where a CUDA driver and device are present.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    /// <summary>Skips with "no CUDA device: skipped" and the reason.</summary>
    public CudaFactAttribute()
    {
        if (!CudaDevice.Available) Skip = $"no CUDA device: skipped ({CudaDevice.Description})";
    }
}

/// <summary>Runs only where there is NO CUDA device (checks the error a user without one gets).</summary>
public sealed class NoCudaFactAttribute : FactAttribute
{
    /// <summary>Skips on a machine with a GPU.</summary>
    public NoCudaFactAttribute()
    {
        if (CudaDevice.Available) Skip = "a CUDA device is present: the no-device error cannot be observed";
    }
}

/// <summary>The CUDA backend against the CPU engine (GpuParity, the checks of `gpu-check`), on the seven fixtures.</summary>
[Collection("Parallelism")]
public class CudaBackendTests
{
    public static TheoryData<string> Fixtures => new() { "olmoe", "mixtral", "qwen2_moe", "qwen3_moe", "phimoe", "gpt_oss", "gpt_oss_mxfp4" };

    [CudaFact]
    public void EveryFixtureMatchesTheCpuEngine()
    {
        var failures = new List<string>();
        foreach (var fixture in Fixtures)
            foreach (var check in GpuParity.Run(RepoPaths.Fixture(fixture)))
                if (!check.Passed) failures.Add($"{check.Fixture} {check.Name}: {check.Value:G4} > {check.Bound:G4} {check.Detail}");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [CudaFact]
    public void BatchedRowsEqualEachSequenceAloneOnTheGpu()
    {
        using var cpu = MoeModel.Load(RepoPaths.Fixture("qwen3_moe"));
        using var gpu = CudaModel.Load(cpu);
        var a = Enumerable.Range(3, 11).ToArray(); var b = Enumerable.Range(40, 5).ToArray();
        var batched = gpu.Forward([a, b], new ForwardOptions { ReturnLogits = true }).Logits!;
        var alone = gpu.Forward([b], new ForwardOptions { ReturnLogits = true }).Logits!;
        int v = cpu.Config.VocabSize;
        Assert.True(GpuParity.MaxAbs(alone, batched.AsSpan(a.Length * v, b.Length * v).ToArray()) <= 1e-5);
    }

    [CudaFact]
    public void CachedDecodeOnTheGpuMatchesTheFullPass()
    {
        using var cpu = MoeModel.Load(RepoPaths.Fixture("gpt_oss"));   // sliding window and sinks
        using var gpu = CudaModel.Load(cpu);
        var ids = Enumerable.Range(0, 20).Select(i => 3 + i * 7 % 300).ToArray();
        var full = gpu.Forward([ids], new ForwardOptions { ReturnLogits = true }).Logits!;
        using var cache = gpu.CreateCache(1);
        gpu.Forward([ids[..12]], new ForwardOptions(), cache);
        int v = cpu.Config.VocabSize;
        for (int p = 12; p < ids.Length; p++)
        {
            var step = gpu.Forward([new[] { ids[p] }], new ForwardOptions(), cache);
            Assert.True(GpuParity.MaxAbs(full.AsSpan(p * v, v).ToArray(), step.LastLogits) <= 2e-5, $"position {p}");
        }
    }

    [NoCudaFact]
    public void WithoutADriverTheErrorNamesTheLibraryAndTheFoldersSearched()
    {
        Assert.False(CudaDevice.Available);
        Assert.StartsWith("CUDA: ", CudaDevice.Description);
        Assert.True(CudaDevice.Description.Contains("libcuda.so.1 / libcuda.so not found (searched ") || CudaDevice.Description.Contains("no CUDA device"), CudaDevice.Description);
        var e = Assert.Throws<CudaException>(() => CudaDevice.Current);
        Assert.Equal(CudaDevice.Description, e.Message);
    }
}
