using SteerMoE.Research.Inference.Cuda.Driver;
using SteerMoE.Research.Tests;
using Xunit;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>`steermoe gpu-check` and `bench --device`, run as a process: on a machine without a GPU they end cleanly.</summary>
public sealed class GpuCheckCommandTests
{
    [Fact]
    public void GpuCheckListsTheEmbeddedKernelsAndTheSevenFixtures()
    {
        var r = Cli.RunIn(RepoPaths.Root, "gpu-check");
        Assert.Contains("kernel sources: Common.cu, Activations.cu, Attention.cu, Elementwise.cu, Norms.cu, Rope.cu, Routing.cu", r.Stdout);
        Assert.Contains("models: gpt_oss, gpt_oss_mxfp4, mixtral, olmoe, phimoe, qwen2_moe, qwen3_moe", r.Stdout);
        Assert.Contains($"detect: {Path.Combine("tools", "default-model", "data", "counting.pairs.jsonl")} on {Path.Combine("models", "default")}", r.Stdout);
        if (CudaDevice.Available) return;   // with a GPU the checks themselves run: CudaBackendTests assert them
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("steermoe: error: gpu-check: CUDA: libcuda.so.1 / libcuda.so not found (searched ", r.Stderr);
    }

    [Fact]
    public void BenchRejectsAnUnknownDeviceAndCudaWithoutAGpuEndsWithTheReason()
    {
        var fixture = RepoPaths.Fixture("olmoe");
        var bad = Cli.Run("bench", "--device", "gpu", "--model", fixture);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--device: expected cpu or cuda, got 'gpu'.", bad.Stderr);
        if (CudaDevice.Available) return;
        var cuda = Cli.Run("bench", "--device", "cuda", "--model", fixture);
        Assert.Equal(2, cuda.ExitCode);
        Assert.Contains("bench --device cuda: CUDA: libcuda.so.1", cuda.Stderr);
    }

    [Fact]
    public void GpuCheckRefusesAMissingDetectModel()
    {
        var r = Cli.RunIn(RepoPaths.Root, "gpu-check", "--detect-model", "/nonexistent/model");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--detect-model: /nonexistent/model: no config.json in it.", r.Stderr);
    }

    [Fact]
    public void DetectGenerateDemoAndExperimentOnCudaWithoutAGpuExitTwoBeforeAnyWork()
    {
        string pairs = RepoPaths.Get("tools", "default-model", "data", "counting.pairs.jsonl"), model = RepoPaths.Get("models", "default");
        string dir = Path.Combine(RepoPaths.TempDir("detect-cuda"), "run");
        var bad = Cli.Run("detect", "--device", "gpu", "--model", model, "--pairs", pairs, "--out", dir);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--device: expected cpu or cuda, got 'gpu'.", bad.Stderr);
        Assert.False(Directory.Exists(dir));
        if (CudaDevice.Available) return;   // with a GPU: DetectOnGpuTests
        var detect = Cli.Run("detect", "--device", "cuda", "--model", model, "--pairs", pairs, "--out", dir);
        Assert.Equal(2, detect.ExitCode);
        Assert.StartsWith("steermoe: error: detect --device cuda: CUDA: libcuda.so.1 / libcuda.so not found (searched ", detect.Stderr);
        Assert.False(Directory.Exists(dir));   // nothing written
        Assert.Equal("", detect.Stdout);
        var generate = Cli.Run("generate", "--device", "cuda", "--model", model, "--prompt", "hello");
        Assert.Equal(2, generate.ExitCode);
        Assert.StartsWith("steermoe: error: generate --device cuda: CUDA: libcuda.so.1 / libcuda.so not found (searched ", generate.Stderr);
        Assert.Equal("", generate.Stdout);
        string demoDir = Path.Combine(RepoPaths.TempDir("demo-cuda"), "demo");
        var demo = Cli.RunIn(RepoPaths.Root, "demo", "--device", "cuda", "--out", demoDir);
        Assert.Equal(2, demo.ExitCode);
        Assert.StartsWith("steermoe: error: demo --device cuda: CUDA: libcuda.so.1", demo.Stderr);
        Assert.False(Directory.Exists(demoDir));
        var experiment = Cli.RunIn(RepoPaths.Root, "experiment", "run", RepoPaths.Get("Experiments", "Library", "Demo", "Specs", "counting.yaml"), "--device", "cuda", "--out", demoDir);
        Assert.Equal(2, experiment.ExitCode);
        Assert.StartsWith("steermoe: error: experiment run --device cuda: CUDA: libcuda.so.1", experiment.Stderr);
        Assert.False(Directory.Exists(demoDir));
    }
}
