using SteerMoE.Research.Inference.Cuda.Model;
using SteerMoE.Research.Inference.Cuda.Native;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Tests.Cuda;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Inference.Tests.Models;

/// <summary>IMoeEngine / IKvCache: the CPU engine through the interface is the CPU engine; caches do not cross engines.</summary>
public class EngineInterfaceTests
{
    /// <summary>A cache of neither engine.</summary>
    private sealed class ForeignCache : IKvCache
    {
        public int SequenceCount => 1;
        public IReadOnlyList<int> Lengths => [0];
        public long ByteCount => 0;
        public void Dispose() { }
    }

    [Fact]
    public void TheInterfaceGivesTheConcreteEnginesLogitsAndCacheContinuation()
    {
        using var model = MoeModel.Load(RepoPaths.Fixture("olmoe"));
        IMoeEngine engine = model;
        Assert.Equal("CPU", engine.Description);
        Assert.Equal(Path.GetFullPath(RepoPaths.Fixture("olmoe")), Path.GetFullPath(engine.Directory));
        int[] prompt = [3, 17, 42, 9, 11];
        // prefill 4 then decode 1 through the interface's cache == one pass over the 5 tokens on the concrete API
        using var cache = engine.CreateCache(1);
        Assert.IsType<KvCache>(cache);
        engine.Forward([prompt[..4]], new ForwardOptions(), cache);
        Assert.Equal([4], cache.Lengths);
        var step = engine.Forward([prompt[4..]], new ForwardOptions(), cache);
        var whole = model.Forward([prompt], new ForwardOptions());
        Assert.Equal(whole.LastLogits, step.LastLogits);
        Assert.Equal(model.Generate(prompt, new GenerationOptions { MaxNewTokens = 6 }), engine.Generate(prompt, new GenerationOptions { MaxNewTokens = 6 }));
    }

    [Fact]
    public void TheCpuEngineRefusesAForeignCache()
    {
        using var model = MoeModel.Load(RepoPaths.Fixture("olmoe"));
        var e = Assert.Throws<ArgumentException>(() => ((IMoeEngine)model).Forward([[1, 2]], null, new ForeignCache()));
        Assert.Contains("the CPU engine was given a ForeignCache; it takes only a KvCache", e.Message);
    }

    [Fact]
    public void ParseDeviceAcceptsCpuAndCudaOnly()
    {
        Assert.Equal(EngineDevice.Cpu, MoeEngine.ParseDevice("cpu"));
        Assert.Equal(EngineDevice.Cuda, MoeEngine.ParseDevice("cuda"));
        Assert.Contains("--device: expected cpu or cuda, got 'gpu'.", Assert.Throws<ArgumentException>(() => MoeEngine.ParseDevice("gpu")).Message);
        Assert.IsType<MoeModel>(MoeEngine.Load(RepoPaths.Fixture("olmoe"), EngineDevice.Cpu)).Dispose();
    }

    [NoCudaFact]
    public void LoadingOnCudaWithoutAGpuFailsBeforeReadingTheModel()
    {
        var e = Assert.Throws<CudaException>(() => MoeEngine.Load("/nonexistent/model", EngineDevice.Cuda));
        Assert.Contains("libcuda.so.1", e.Message);
    }

    [CudaFact]
    public void TheCudaEngineRefusesAHostCacheAndMatchesItsConcreteApi()
    {
        using var gpu = CudaModel.Load(RepoPaths.Fixture("olmoe"));
        IMoeEngine engine = gpu;
        using var host = new KvCache(gpu.Config.LayerCount, 1, gpu.Config.KeyValueHeadCount * gpu.Config.HeadDim);
        Assert.Contains("the CUDA engine was given a KvCache; it takes only a CudaKvCache", Assert.Throws<ArgumentException>(() => engine.Forward([[1, 2]], null, host)).Message);
        int[] prompt = [3, 17, 42, 9, 11];
        using var cache = engine.CreateCache(1);
        Assert.IsType<CudaKvCache>(cache);
        engine.Forward([prompt[..4]], new ForwardOptions(), cache);
        var step = engine.Forward([prompt[4..]], new ForwardOptions(), cache);
        var whole = gpu.Forward([prompt], new ForwardOptions());
        Assert.Equal([5], cache.Lengths);
        Assert.True(whole.LastLogits.Zip(step.LastLogits).Max(p => Math.Abs(p.First - p.Second)) <= 1e-4f);
        Assert.Equal(gpu.Generate(prompt, new GenerationOptions { MaxNewTokens = 6 }), engine.Generate(prompt, new GenerationOptions { MaxNewTokens = 6 }));
    }
}
