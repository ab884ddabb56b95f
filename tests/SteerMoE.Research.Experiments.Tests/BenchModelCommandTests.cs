using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Models.Benchmarks;
using SteerMoE.Research.Inference.Routing;
using SteerMoE.Research.Tests;
using Xunit;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>`steermoe bench --model` on the OLMoE parity fixture, run as a process with tiny sizes (no timing assertions).</summary>
public sealed class BenchModelCommandTests
{
    private static readonly string Fixture = RepoPaths.Get("tests", "fixtures", "hf-parity", "olmoe");

    [Fact]
    public void BenchModelPrintsBothPrecisionsAndMemoryRows()
    {
        var r = Cli.RunWithEveryProgressLine("bench", "--model", Fixture, "--prompt-tokens", "4", "--batch", "2", "--decode-steps", "2", "--repeat", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // Progress (stderr): each phase's result as it is timed, then the phases done of 7 (the last: the bandwidth).
        Assert.Contains("  exact: prefill 2x4 median ", r.Stderr);
        Assert.Contains("\nbench: 1/7 phases (14%), ", r.Stderr);
        Assert.Contains("  fast: decode batch 2 x 2 steps median ", r.Stderr);
        Assert.Contains("  memory read bandwidth: median ", r.Stderr);
        Assert.Contains("\nbench: 7/7 phases (100%), ", r.Stderr);
        var lines = r.Stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        foreach (var precision in new[] { "exact", "fast" })
        {
            Assert.Contains(lines, l => l is [var p, "prefill", "2", "8", ..] && p == precision);
            // Decode rows end with GB/s and the percentage of the measured bandwidth; prefill rows do not.
            Assert.Contains(lines, l => l is [var p, "decode", "1", "2", _, _, _, _, var gbps, var bw] && p == precision && double.Parse(gbps) > 0 && bw.EndsWith('%'));
            Assert.Contains(lines, l => l is [var p, "decode", "2", "4", _, _, _, _, var gbps, var bw] && p == precision && double.Parse(gbps) > 0 && bw.EndsWith('%'));
            Assert.Contains(lines, l => l is [var p, "prefill", _, _, _, _, _, _] && p == precision);
            // 2 prefill runs (warm-up + 1) x 8 tokens x 3 layers x top-4 choices reach the counting observer.
            Assert.Contains($"routing captured ({precision} prefill runs): 192 top-k choices counted", r.Stdout);
        }
        Assert.Contains("RSS / (checkpoint + KV) =", r.Stdout);
    }

    [Fact]
    public void BenchModelPrintsTheMeasuredReadBandwidth()
    {
        var r = Cli.Run("bench", "--model", Fixture, "--precision", "exact", "--prompt-tokens", "2", "--batch", "1", "--decode-steps", "1", "--repeat", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var line = Assert.Single(r.Stdout.Split('\n'), l => l.StartsWith("memory read bandwidth ("));
        var m = System.Text.RegularExpressions.Regex.Match(line, @"median ([0-9.]+), best ([0-9.]+) GB/s");
        Assert.True(m.Success, line);
        // Any machine this runs on reads memory at more than 0.1 GB/s, and the best pass is at least the median.
        Assert.InRange(double.Parse(m.Groups[1].Value), 0.1, double.Parse(m.Groups[2].Value));
    }

    [Fact]
    public void DecodeTrafficMatchesHandComputedOlmoeFixture()
    {
        using var model = MoeModel.Load(Fixture);
        var traffic = DecodeTraffic.Of(model);
        // H 64, 4 heads of 16 (q 64), 2 KV heads (kv 32), 3 layers, 8 experts of I 32, V 384, all bf16 (2 bytes).
        // Per layer: q, k, v, o projections, q/k norms, two RMS norms, the router; then the final norm and lm_head.
        long perLayer = 64 * 64 + 2 * 32 * 64 + 64 * 64 + 64 + 32 + 2 * 64 + 8 * 64;
        long dense = 2 * (3 * perLayer + 64 + 384 * 64);
        Assert.Equal(127_424, dense);
        Assert.Equal(dense, traffic.DenseBytes);
        // Two sequences with 5 and 7 tokens of context; layers chose 4, 2 and 8 distinct experts. Each expert is
        // gate, up and down (3 x 64 x 32 bf16), an embedding row 64 bf16, a layer's KV per token 2 x 32 fp32.
        double step = traffic.StepBytes([4, 2, 8], [5, 7]);
        Assert.Equal(dense + 2 * 128 + (4 + 2 + 8) * 12_288 + 3 * (5 + 7) * 256, step);
    }

    /// <summary>
    /// Llama 4's hub layout: names under "language_model.", dense layers 0 and 2 read whole, fused experts per expert,
    /// chunked layers 0-2 reading only the current chunk of 8192, the NoPE layer 3 the whole context.
    /// </summary>
    [Fact]
    public void DecodeTrafficOfAnInterleavedChunkedModel()
    {
        using var model = MoeModel.Load(RepoPaths.LlamaCppFixture("llama4"));
        var traffic = DecodeTraffic.Of(model);
        // H 64, q 64, kv 32, 4 layers: attention q, k, v, o and two norms each; dense MLP 3 x 64 x 96 (layers 0, 2);
        // router 8 x 64 and shared expert 3 x 32 x 64 (layers 1, 3); final norm, lm_head 256 x 64; bf16.
        long dense = 2 * (4 * (64 * 64 + 2 * 32 * 64 + 64 * 64 + 2 * 64) + 2 * 3 * 64 * 96 + 2 * (8 * 64 + 3 * 32 * 64) + 64 + 256 * 64);
        Assert.Equal(232_576, dense);
        Assert.Equal(dense, traffic.DenseBytes);
        // One expert: gate_up [64, 64] + down [32, 64] bf16 = 12 288 bytes; KV per layer and token 2 x 32 fp32 = 256.
        // Contexts 5 and 8200: layers 0-2 read 5 and (8200 - 1) % 8192 + 1 = 8 tokens, layer 3 reads 5 and 8200.
        double step = traffic.StepBytes([0, 1, 0, 1], [5, 8200]);
        Assert.Equal(dense + 2 * 128 + 2 * 12_288 + 3 * (5 + 8) * 256 + (5 + 8200) * 256, step);
    }

    /// <summary>DeepSeek-V3's latent attention caches kv_lora_rank + rope floats per token and layer, not per-head keys and values.</summary>
    [Fact]
    public void DecodeTrafficReadsTheCompressedLatentCache()
    {
        using var model = MoeModel.Load(RepoPaths.LlamaCppFixture("deepseek_v3"));
        var traffic = DecodeTraffic.Of(model);
        // kv_lora_rank 32 + qk_rope_head_dim 8 = 40 fp32 per token and layer, 3 layers, one sequence of 10 tokens
        Assert.Equal(traffic.DenseBytes + 128 + 3 * 10 * 40 * 4, traffic.StepBytes([0, 0, 0], [10]));
    }

    [Fact]
    public void DistinctExpertsCountsEachLayersUnionOfChoicesPerCall()
    {
        var distinct = new DistinctExperts(layers: 2, experts: 8);
        void Route(int layer, int[] topK) =>   // two tokens, top-2 each
            distinct.OnRouting(new RoutingBatch(layer, 8, 2, new float[16], topK, new float[4], [0, 1], [3, 3]));
        Route(0, [1, 5, 5, 2]);                // {1, 2, 5}
        Route(1, [7, 7, 7, 7]);                // {7}
        distinct.EndCall();
        Route(0, [0, 3, 4, 6]);                // a new call starts from nothing: {0, 3, 4, 6}
        distinct.EndCall();
        Assert.Equal([3, 1], distinct.Calls[0]);
        Assert.Equal([4, 0], distinct.Calls[1]);
    }

    [Fact]
    public void TheDefaultPromptLengthFitsASmallModel()
    {
        // models/default has 128 positions: the default T = 128 shrinks to 128 - S.
        var r = Cli.Run("bench", "--model", RepoPaths.Get("models", "default"), "--precision", "exact", "--batch", "1", "--decode-steps", "2", "--repeat", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains(r.Stdout.Split('\n'), l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["exact", "prefill", "1", "126", ..]);
    }

    [Fact]
    public void OnePrecisionOnlyWhenGiven()
    {
        var r = Cli.Run("bench", "--model", Fixture, "--precision", "fast", "--prompt-tokens", "2", "--batch", "1", "--decode-steps", "1", "--repeat", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("fast      prefill", r.Stdout);
        Assert.DoesNotContain("exact     prefill", r.Stdout);
    }

    [Theory]
    [InlineData("--batch", "0", "--batch: expected at least 1")]
    [InlineData("--prompt-tokens", "0", "--prompt-tokens: expected at least 1")]
    [InlineData("--decode-steps", "-1", "--decode-steps: expected at least 1")]
    [InlineData("--precision", "half", "--precision: expected 'exact' or 'fast'")]
    public void BadOptionsAreRejected(string option, string value, string message)
    {
        var r = Cli.Run("bench", "--model", Fixture, option, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
    }

    [Fact]
    public void MissingModelFolderIsAnError()
    {
        var r = Cli.Run("bench", "--model", "/nonexistent/model-dir", "--prompt-tokens", "2", "--batch", "1", "--decode-steps", "1", "--repeat", "1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("/nonexistent/model-dir", r.Stderr);
    }

    [Fact]
    public void FlopCountMatchesHandComputedOlmoeFixture()
    {
        using var model = MoeModel.Load(Fixture);
        var config = model.Config;
        var flops = new FlopCounter(config);
        double h = config.HiddenSize, q = config.HeadCount * config.HeadDim, kv = config.KeyValueHeadCount * config.HeadDim;
        double perLayer = 2 * h * (q + 2 * kv) + 2 * q * h + 2 * h * config.ExpertCount + config.TopK * 6 * h * config.ExpertIntermediateSize;
        double lmHead = 2 * h * config.VocabSize, perContext = 4 * q * config.LayerCount;
        // One decode step after a 3-token prompt attends to 4 positions.
        Assert.Equal(config.LayerCount * perLayer + lmHead + 4 * perContext, flops.Decode(3, 1), 6);
        // Prefill of 2 tokens: lm_head once, attention over 1 + 2 positions.
        Assert.Equal(2 * config.LayerCount * perLayer + lmHead + 3 * perContext, flops.Prefill(2), 6);
    }
}
