using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Models.Benchmarks;
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
        // Progress (stderr): each phase's result as it is timed, then the phases done of 6.
        Assert.Contains("  exact: prefill 2x4 median ", r.Stderr);
        Assert.Contains("\nbench: 1/6 phases (17%), ", r.Stderr);
        Assert.Contains("  fast: decode batch 2 x 2 steps median ", r.Stderr);
        Assert.Contains("\nbench: 6/6 phases (100%), ", r.Stderr);
        var lines = r.Stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        foreach (var precision in new[] { "exact", "fast" })
        {
            Assert.Contains(lines, l => l is [var p, "prefill", "2", "8", ..] && p == precision);
            Assert.Contains(lines, l => l is [var p, "decode", "1", "2", ..] && p == precision);
            Assert.Contains(lines, l => l is [var p, "decode", "2", "4", ..] && p == precision);
            // 2 prefill runs (warm-up + 1) x 8 tokens x 3 layers x top-4 choices reach the counting observer.
            Assert.Contains($"routing captured ({precision} prefill runs): 192 top-k choices counted", r.Stdout);
        }
        Assert.Contains("RSS / (checkpoint + KV) =", r.Stdout);
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
