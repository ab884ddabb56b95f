using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Tests;
using Xunit.Abstractions;

namespace SteerMoE.Research.Inference.Tests.Parity;

/// <summary>
/// The `fast` mode's deviation from transformers' fp32 logits on every fixture, measured and printed. Its bound is
/// the bf16 input rounding (relative 2^-9 per GEMM input) compounded over the layers; the assertion only catches a
/// broken fast path, the printed numbers are what gets reported.
/// </summary>
[Collection("Parallelism")]
public class FastPrecisionTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("olmoe")]
    [InlineData("mixtral")]
    [InlineData("qwen2_moe")]
    [InlineData("qwen3_moe")]
    [InlineData("phimoe")]
    [InlineData("gpt_oss")]
    public void FastModeStaysNearTheReference(string arch)
    {
        string dir = RepoPaths.Fixture(arch);
        using var reference = new Reference(Path.Combine(dir, "reference.safetensors"));
        using var model = MoeModel.Load(dir);
        var batch = reference.Batch();
        var logits = model.Forward(batch, new ForwardOptions { ReturnLogits = true, Precision = Precision.Fast }).Logits!;
        var expected = reference.Floats("logits");
        float err = HfParityTests.MaxAbs(expected, logits);
        float scale = expected.Max(MathF.Abs);
        output.WriteLine($"{arch} fast logits max abs error {err:E3} (max |logit| {scale:F2})");
        Assert.True(err <= 0.05f * scale, $"{arch}: fast logits deviate by {err}, more than 5% of the largest logit {scale}");
    }
}
