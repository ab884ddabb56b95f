using SteerMoE.Research.Data.RoutingLogs;
using SteerMoE.Research.Detection.Collection;
using SteerMoE.Research.Inference;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Routing;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Detection.Tests.Collection;

/// <summary>DetectionParity (gpu-check's detect check) on the demo's counting pairs and default model, with CPU engines.</summary>
public class DetectionParityTests
{
    private static string Model => RepoPaths.Get("models", "default");
    private static string Pairs => RepoPaths.Get("tools", "default-model", "data", "counting.pairs.jsonl");

    /// <summary>
    /// Expert 0 can never be chosen in the last layer (only there: a change in an earlier layer would move every later
    /// layer's routing, of this token and, through attention, of the tokens after it).
    /// </summary>
    private sealed class NoExpertZero(int lastLayer) : IRouterRewrite
    {
        public void Rewrite(int layer, Span<float> scores, int tokens, int experts)
        {
            if (layer != lastLayer) return;
            for (int t = 0; t < tokens; t++) scores[t * experts] = -1e30f;
        }
    }

    /// <summary>The CPU engine with expert 0 switched off in the last layer, always in exact mode (its "fast" run is exact too).</summary>
    private sealed class ExactWithoutExpertZero(MoeModel model) : IMoeEngine
    {
        public string Directory => model.Directory;
        public ModelConfig Config => model.Config;
        public string Description => "CPU without expert 0";
        public ForwardResult Forward(IReadOnlyList<IReadOnlyList<int>> sequences, ForwardOptions? options = null, IKvCache? cache = null) =>
            ((IMoeEngine)model).Forward(sequences, (options ?? new ForwardOptions()) with { Rewrite = new NoExpertZero(model.Config.LayerCount - 1), Precision = Precision.Exact }, cache);
        public int[] Generate(IReadOnlyList<int> prompt, GenerationOptions options) => throw new NotSupportedException();
        public IKvCache CreateCache(int sequences) => ((IMoeEngine)model).CreateCache(sequences);
        public void Dispose() { }
    }

    [Fact]
    public void TwoCpuEnginesGiveIdenticalExactCountsAndTheSameFastShare()
    {
        using var a = MoeModel.Load(Model);
        using var b = MoeModel.Load(Model);
        var r = DetectionParity.Run(a, b, Pairs, RepoPaths.TempDir("parity-cpu"));
        var exact = RoutingCollector.Collect(a, Pairs, RepoPaths.TempDir("parity-ref"));
        Assert.Equal(exact.Counts.Tokens1 + exact.Counts.Tokens2, r.CountedTokens);
        Assert.True(r.CountedTokens > 0);
        Assert.Equal(0, r.ExactCellsDiffering);
        Assert.True(r.ExactCountsEqual);
        Assert.Equal(r.CpuFastTokensDiffering, r.FastTokensDiffering);
        Assert.Equal(a.Config.LayerCount, r.Layers);
    }

    [Fact]
    public void AnEngineThatNeverPicksExpertZeroDiffersOnExactlyTheTokensThatUsedIt()
    {
        using var cpu = MoeModel.Load(Model);
        // the reference, counted independently from a plain routing log: counted tokens whose exact last-layer top-k holds expert 0
        string log = Path.Combine(RepoPaths.TempDir("parity-log"), "log");
        RoutingCollector.Collect(cpu, Pairs, RepoPaths.TempDir("parity-log-run"), new CollectionOptions { RoutingLog = log });
        var topk = NpyArray.Load(Path.Combine(log, "topk.npy"));
        int[] ids = topk.Ints(); byte[] inTarget = NpyArray.Load(Path.Combine(log, "in_target.npy")).Data;
        int layers = (int)topk.Shape[1], k = (int)topk.Shape[2];
        long tokens = 0;
        for (int n = 0; n < inTarget.Length; n++)
            if (inTarget[n] == 1 && ids.AsSpan((n * layers + layers - 1) * k, k).Contains(0)) tokens++;
        Assert.True(tokens > 0, "expert 0 is never used on the span tokens: the test would prove nothing");

        var r = DetectionParity.Run(cpu, new ExactWithoutExpertZero(cpu), Pairs, RepoPaths.TempDir("parity-no-zero"));
        Assert.False(r.ExactCountsEqual);
        Assert.Equal(tokens, r.FastTokensDiffering);
        Assert.Equal(tokens, r.FastTokenLayersDiffering);   // one layer changed: one token-layer per token
        Assert.Equal((double)tokens / r.CountedTokens, r.FastTokenShare, 12);
    }

    [Fact]
    public void ANonEmptyWorkFolderIsRefused()
    {
        string dir = RepoPaths.TempDir("parity-busy");
        File.WriteAllText(Path.Combine(dir, "x"), "");
        using var cpu = MoeModel.Load(Model);
        Assert.Contains("the detection parity folder is not empty", Assert.Throws<ArgumentException>(() => DetectionParity.Run(cpu, cpu, Pairs, dir)).Message);
    }
}
