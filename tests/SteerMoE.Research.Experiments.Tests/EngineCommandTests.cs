using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Experiments.Tests;

/// <summary>`trace`, `inspect` and `make-random` run as processes, as a user runs them.</summary>
public class EngineCommandTests
{
    private static unsafe (float[] Values, long[] Shape) Floats(SafetensorsFile f, string name)
    {
        var t = f.Find(name) ?? throw new Xunit.Sdk.XunitException($"{f.Path}: no tensor '{name}'");
        return (TensorConvert.ToSingle(t, f.Pointer(t)), t.Shape);
    }

    [Theory]
    [InlineData("qwen3_moe", false)]
    [InlineData("gpt_oss", true)]
    public void TraceReproducesTheFixture(string arch, bool steered)
    {
        string fixture = RepoPaths.Fixture(arch), output = Path.Combine(RepoPaths.TempDir("trace"), "trace.safetensors");
        string reference = Path.Combine(fixture, "reference.safetensors");
        var args = new List<string> { "trace", "--model", fixture, "--inputs", reference, "--generate", "12", "--prompt-tokens", "10", "--out", output, "--threads", "2" };
        if (steered) args.AddRange(["--steering", Path.Combine(fixture, "steering.json")]);
        var r = Cli.Run(args.ToArray());
        Assert.True(r.ExitCode == 0, r.Stderr);
        string prefix = steered ? "steered." : "";
        using var got = SafetensorsFile.Open(output);
        using var want = SafetensorsFile.Open(reference);
        var (logits, shape) = Floats(got, "logits");
        Assert.Equal(Floats(want, prefix + "logits").Shape, shape);
        Assert.True(MaxAbs(Floats(want, prefix + "logits").Values, logits) <= 1e-4f);
        for (int l = 0; l < 3; l++)
        {
            Assert.True(MaxAbs(Floats(want, $"{prefix}router_logits.L{l}").Values, Floats(got, $"router_logits.L{l}").Values) <= 1e-4f);
            var topk = got.Find($"topk_index.L{l}")!;
            Assert.Equal("I64", DType(topk));
            Assert.Equal(want.Find($"{prefix}topk_index.L{l}")!.Shape, topk.Shape);
            // fixtures have no near-ties on these layers: the sets agree token by token
            var a = Floats(want, $"{prefix}topk_index.L{l}").Values; var b = Floats(got, $"topk_index.L{l}").Values;
            int k = (int)topk.Shape[1];
            for (int t = 0; t < a.Length / k; t++) Assert.Equal(a.Skip(t * k).Take(k).Order(), b.Skip(t * k).Take(k).Order());
        }
        Assert.Equal(Floats(want, steered ? "gen.steered" : "gen.plain").Values, Floats(got, "gen").Values);
    }

    /// <summary>
    /// gpt_oss_mxfp4's reference is transformers' bf16 arithmetic on its dequantised experts (tools/reference/mxfp4):
    /// `--expert-arithmetic bf16` reproduces its logits within 1e-4; the default, fp32, is 3.9e-2 away from them.
    /// </summary>
    [Theory]
    [InlineData("bf16", 0f, 1e-4f)]
    [InlineData(null, 3e-2f, 5e-2f)]
    public void TraceWithBf16ExpertArithmeticReproducesTheMxfp4Fixture(string? arithmetic, float atLeast, float atMost)
    {
        string fixture = RepoPaths.Fixture("gpt_oss_mxfp4"), output = Path.Combine(RepoPaths.TempDir("trace-mxfp4"), "trace.safetensors");
        string reference = Path.Combine(fixture, "reference.safetensors");
        var args = new List<string> { "trace", "--model", fixture, "--inputs", reference, "--out", output, "--threads", "2" };
        if (arithmetic is not null) args.AddRange(["--expert-arithmetic", arithmetic]);
        var r = Cli.Run(args.ToArray());
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var got = SafetensorsFile.Open(output);
        using var want = SafetensorsFile.Open(reference);
        float err = MaxAbs(Floats(want, "logits").Values, Floats(got, "logits").Values);
        Assert.InRange(err, atLeast, atMost);
    }

    [Fact]
    public void Bf16ExpertArithmeticOnAnotherArchitectureIsOneLineExitTwo()
    {
        string fixture = RepoPaths.Fixture("qwen3_moe");
        var r = Cli.Run("trace", "--model", fixture, "--inputs", Path.Combine(fixture, "reference.safetensors"),
            "--out", Path.Combine(RepoPaths.TempDir("trace-bf16-qwen"), "o.safetensors"), "--expert-arithmetic", "bf16");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("gpt-oss experts only", r.Stderr);
        var bad = Cli.Run("trace", "--model", fixture, "--inputs", Path.Combine(fixture, "reference.safetensors"),
            "--out", Path.Combine(RepoPaths.TempDir("trace-bf16-qwen"), "o.safetensors"), "--expert-arithmetic", "fp16");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("expected 'fp32' or 'bf16'", bad.Stderr);
    }

    private static string DType(TensorInfo t) => SafetensorsFile.DTypeName(t.Type);

    private static float MaxAbs(float[] a, float[] b) { Assert.Equal(a.Length, b.Length); return a.Zip(b, (x, y) => MathF.Abs(x - y)).Max(); }

    [Fact]
    public void InspectPrintsTheShape()
    {
        var r = Cli.Run("inspect", "--model", RepoPaths.Fixture("gpt_oss_mxfp4"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("GptOssForCausalLM", r.Stdout);
        Assert.Contains("8 per layer, top-k 2", r.Stdout);
        Assert.Contains("quantization: mxfp4", r.Stdout);
        Assert.Contains("yarn", r.Stdout);
    }

    [Fact]
    public void BadModelFolderIsOneLineExitTwo()
    {
        string dir = RepoPaths.TempDir("bad-model");
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"architectures": ["JambaForCausalLM"]}""");
        var r = Cli.Run("inspect", "--model", dir);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("steermoe: error: ", r.Stderr);
        Assert.Contains("supported: OlmoeForCausalLM", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void TraceWithAPlanNamingAMissingExpertFails()
    {
        string dir = RepoPaths.TempDir("bad-plan"), plan = Path.Combine(dir, "plan.json");
        File.WriteAllText(plan, """{"format": "steermoe-plan/1", "layers": {"1": {"activate": [9], "deactivate": []}}}""");
        string fixture = RepoPaths.Fixture("olmoe");
        var r = Cli.Run("trace", "--model", fixture, "--inputs", Path.Combine(fixture, "reference.safetensors"), "--plan", plan, "--out", Path.Combine(dir, "o.safetensors"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("expert 9 does not exist", r.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "o.safetensors")));
    }

    [Fact]
    public void MakeRandomRejectsAnUnknownModel()
    {
        var r = Cli.Run("make-random", "--like", "llama-7b", "--out", RepoPaths.TempDir("mr"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("olmoe-1b-7b, qwen3-30b-a3b, mixtral-8x7b, gpt-oss-20b", r.Stderr);
    }
}
