using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Inference.Tests.Models;

/// <summary>The interleaved decode layout of a loaded model: the same logits bit for bit as the stored layout.</summary>
[Collection("Kernels")]
public sealed class WeightLayoutTests
{
    private static float[] Logits(string fixture, bool interleave, out long interleavedBytes)
    {
        using var model = MoeModel.Load(RepoPaths.Get("tests", "fixtures", "hf-parity", fixture), new LoadOptions { InterleaveWeights = interleave });
        interleavedBytes = model.Weights.InterleavedByteCount;
        int[][] prompts = [[1, 5, 9, 14, 2, 7, 30, 11, 4], [3, 8]];
        using var cache = model.CreateCache(prompts.Length);
        var prefill = model.Forward(prompts, new ForwardOptions { ReturnLogits = true }, cache);
        // Then two decode steps (1 token a sequence: the in-place tiles) after the prefill (9 tokens: packed blocks).
        var step1 = model.Forward([[6], [12]], new ForwardOptions(), cache);
        var step2 = model.Forward([[13], [2]], new ForwardOptions { Precision = Precision.Fast }, cache);
        return [.. prefill.Logits!, .. step1.LastLogits, .. step2.LastLogits];
    }

    [Theory]
    [InlineData("olmoe")]
    [InlineData("qwen3_moe")]
    [InlineData("mixtral")]
    public void InterleavedAndStoredLayoutsGiveTheSameBits(string fixture)
    {
        var stored = Logits(fixture, interleave: false, out long none);
        var interleaved = Logits(fixture, interleave: true, out long copied);
        Assert.Equal(0, none);
        Assert.True(copied > 0, "the BF16 projections were copied to the interleaved layout");
        Assert.Equal(stored, interleaved);
    }

    [Theory]
    [InlineData(true, "stored", true)]        // the option wins
    [InlineData(false, "interleaved", false)]
    [InlineData(null, "stored", false)]       // then the environment
    [InlineData(null, "interleaved", true)]
    [InlineData(null, null, true)]            // then interleaved
    [InlineData(null, "", true)]
    public void TheLayoutIsTheOptionThenTheEnvironmentThenInterleaved(bool? option, string? environment, bool interleave) =>
        Assert.Equal(interleave, LoadOptions.ResolveInterleave(option, environment));

    [Fact]
    public void AnUnknownLayoutInTheEnvironmentIsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => LoadOptions.ResolveInterleave(null, "rows"));
        Assert.Equal("STEERMOE_WEIGHT_LAYOUT: expected 'interleaved' or 'stored', got 'rows'.", e.Message);
    }
}
