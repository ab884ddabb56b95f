using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Inference.Tests.Models;

public class ModelConfigTests
{
    [Theory]
    [InlineData("olmoe", "OlmoeForCausalLM", 8, 4, 32, false)]
    [InlineData("mixtral", "MixtralForCausalLM", 8, 2, 48, true)]
    [InlineData("qwen2_moe", "Qwen2MoeForCausalLM", 8, 2, 32, false)]
    [InlineData("qwen3_moe", "Qwen3MoeForCausalLM", 8, 2, 32, true)]
    [InlineData("phimoe", "PhimoeForCausalLM", 8, 2, 48, false)]
    [InlineData("gpt_oss", "GptOssForCausalLM", 8, 2, 32, false)]
    public void ReadsTheFixtureConfigs(string arch, string name, int experts, int k, int inter, bool renorm)
    {
        var c = ModelConfig.Load(RepoPaths.Fixture(arch));
        Assert.Equal(name, c.Architecture);
        Assert.Equal((experts, k, inter, renorm, 3, 64, 384), (c.ExpertCount, c.TopK, c.ExpertIntermediateSize, c.NormTopKProb, c.LayerCount, c.HiddenSize, c.VocabSize));
    }

    [Theory]
    [InlineData("olmoe")]
    [InlineData("mixtral")]
    [InlineData("qwen2_moe")]
    [InlineData("qwen3_moe")]
    [InlineData("phimoe")]
    [InlineData("gpt_oss")]
    [InlineData("gpt_oss_mxfp4")]
    public void TransformersConfigsLeaveNoFieldUnread(string arch)
    {
        // Written by transformers' save_pretrained: every field is either read or known not to change inference.
        Assert.Empty(ModelConfig.Load(RepoPaths.Fixture(arch)).UnreadFields);
        Assert.Empty(ModelConfig.Load(RepoPaths.Get("models", "default")).Warnings);
    }

    [Fact]
    public void FieldsNoReaderLooksAtAreWarnings()
    {
        var c = ModelConfig.Parse(Mixtral(""", "attn_logit_softcapping": 30.0, "use_cache": true, "moe_layer_freq": 2"""), "m/config.json");
        Assert.Equal(["attn_logit_softcapping", "moe_layer_freq"], c.UnreadFields);
        Assert.Equal("m/config.json: field 'attn_logit_softcapping' is not read by this project's MixtralForCausalLM; if it changes the forward pass, outputs will differ from the reference implementation.", c.Warnings[0]);
        // Qwen's sliding-window fields count as read when use_sliding_window is off (they apply only when it is on).
        var q = ModelConfig.Parse("""{"architectures": ["Qwen3MoeForCausalLM"], "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 10, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 8, "intermediate_size": 32, "rms_norm_eps": 1e-6, "max_position_embeddings": 64, "use_sliding_window": false, "sliding_window": 16, "max_window_layers": 2}""", "q/config.json");
        Assert.Empty(q.UnreadFields);
    }

    [Fact]
    public void GptOssSwigluLimitOtherThanSevenIsRefused()
    {
        string json = File.ReadAllText(Path.Combine(RepoPaths.Fixture("gpt_oss"), "config.json")).TrimEnd().TrimEnd('}');
        Assert.Empty(ModelConfig.Parse(json + ", \"swiglu_limit\": 7.0, \"experts_per_token\": 2}", "g/config.json").UnreadFields);
        var e = Assert.Throws<NotSupportedException>(() => ModelConfig.Parse(json + ", \"swiglu_limit\": 5.0}", "g/config.json"));
        Assert.Equal("g/config.json: field 'swiglu_limit' = 5; only 7 is supported.", e.Message);
    }

    [Fact]
    public void AnActivationOtherThanSiluIsRefused()
    {
        var e = Assert.Throws<NotSupportedException>(() => ModelConfig.Parse(Mixtral(""", "hidden_act": "gelu" """), "m/config.json"));
        Assert.Equal("m/config.json: field 'hidden_act': 'gelu' is not supported; expected silu.", e.Message);
    }

    [Fact]
    public void GptOssLayerTypesAndYarn()
    {
        var c = ModelConfig.Load(RepoPaths.Fixture("gpt_oss"));
        Assert.Equal([8, 0, 8], c.SlidingWindows);
        Assert.Equal("yarn", c.Rope.Type);
        Assert.Equal(150000.0, c.Rope.Theta);
        Assert.False(c.Rope.Truncate);
        Assert.Equal(64, c.Rope.OriginalMaxPositions);
    }

    private const string Base = """
        "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 10, "num_local_experts": 4,
        "num_experts_per_tok": 2, "intermediate_size": 8, "rms_norm_eps": 1e-5, "max_position_embeddings": 4096
        """;

    private static string Mixtral(string extra, string? baseFields = null) => "{\"architectures\": [\"MixtralForCausalLM\"], " + (baseFields ?? Base) + extra + "}";

    [Fact]
    public void RopeParametersOfTransformers5AreReadLikeRopeThetaAndScaling()
    {
        var hub = ModelConfig.Parse(Mixtral(""", "rope_theta": 5e5, "rope_scaling": {"type": "yarn", "factor": 8.0, "beta_fast": 16}"""), "hub.json");
        var v5 = ModelConfig.Parse(Mixtral(""", "rope_parameters": {"rope_type": "yarn", "rope_theta": 5e5, "factor": 8.0, "beta_fast": 16}"""), "v5.json");
        Assert.Equal(hub.Rope, v5.Rope with { });
        Assert.Equal(5e5, v5.Rope.Theta);
        Assert.Equal(16.0, v5.Rope.BetaFast);
        var plain = ModelConfig.Parse(Mixtral(""", "rope_parameters": {"rope_type": "default", "rope_theta": 1e6}"""), "v5.json");
        Assert.Equal(("default", 1e6), (plain.Rope.Type, plain.Rope.Theta));
    }

    [Fact]
    public void UnknownRopeTypeIsRejected()
    {
        var e = Assert.Throws<NotSupportedException>(() => ModelConfig.Parse(Mixtral(""", "rope_scaling": {"type": "dynamic", "factor": 2}"""), "c.json"));
        Assert.Contains("rope type 'dynamic'", e.Message);
    }

    [Fact]
    public void AModelTypeOfAnotherArchitectureIsRefused()
    {
        string config = File.ReadAllText(RepoPaths.Get("tests", "fixtures", "hf-parity", "mixtral", "config.json")).Replace("\"model_type\": \"mixtral\"", "\"model_type\": \"olmoe\"");
        var e = Assert.Throws<FormatException>(() => ModelConfig.Parse(config, "c.json"));
        Assert.Equal("c.json: field 'model_type': 'olmoe' does not match architectures MixtralForCausalLM; expected 'mixtral'.", e.Message);
    }

    [Fact]
    public void WrongFieldTypeIsNamed()
    {
        var e = Assert.Throws<FormatException>(() => ModelConfig.Parse(Mixtral("", Base.Replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": \"two\"")), "c.json"));
        Assert.Contains("c.json: field 'num_hidden_layers'", e.Message);
    }

    /// <summary>Phi-3.5-MoE's long-rope (su): short factors up to the original context, long ones beyond, each with its mscale.</summary>
    [Fact]
    public void LongRopeSwitchesFactorsAndScaleAtTheOriginalContext()
    {
        var shortF = new double[] { 1, 2, 4, 8 }; var longF = new double[] { 2, 4, 8, 16 };
        var rope = new RopeSettings { Theta = 10000, Type = "longrope", ShortFactor = shortF, LongFactor = longF, ShortMscale = 1.25, LongMscale = 1.5, OriginalMaxPositions = 16 };
        var rotary = new RotaryEmbedding(rope, 8, 64);
        float[] Rotate(int length)
        {
            float[] x = [1, 0, 0, 0, 0, 0, 0, 0];
            rotary.Apply(x, 1, [3], length);
            return x;
        }
        // x = e_0: after rotation x_0 = cos(3 · inv_0) · m, x_4 = sin(3 · inv_0) · m with inv_0 = 1 / factor_0
        var s = Rotate(10);
        Assert.Equal(MathF.Cos(3f / 1f) * 1.25f, s[0], 6);
        Assert.Equal(MathF.Sin(3f / 1f) * 1.25f, s[4], 6);
        var l = Rotate(17);
        Assert.Equal(MathF.Cos(3f / 2f) * 1.5f, l[0], 6);
        Assert.Equal(MathF.Sin(3f / 2f) * 1.5f, l[4], 6);
    }

    /// <summary>YaRN inverse frequencies and attention factor against values computed with transformers' formula (gpt-oss fixture settings).</summary>
    [Fact]
    public void YarnMatchesTheClosedForm()
    {
        var c = ModelConfig.Load(RepoPaths.Fixture("gpt_oss"));
        var rotary = new RotaryEmbedding(c.Rope, 16, c.MaxPositions);
        float[] x = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        rotary.Apply(x, 1, [1], 2);
        double factor = 4.0, attention = 0.1 * Math.Log(factor) + 1;   // 1.1386294
        // dim 0: inv_freq = 1 (extrapolation side of the ramp: low correction dim is 0 for these settings)
        Assert.Equal(Math.Cos(1.0) * attention, x[0], 5);
        Assert.Equal(Math.Sin(1.0) * attention, x[8], 5);
    }
}

public class QwenWindowTests
{
    private const string Qwen = """
        {"architectures": ["Qwen3MoeForCausalLM"], "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 4,
         "vocab_size": 10, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 8, "rms_norm_eps": 1e-6,
         "max_position_embeddings": 4096, "eos_token_id": [7, 9], "sliding_window": 32, "max_window_layers": 2, "use_sliding_window": 
        """;

    [Fact]
    public void SlidingWindowOnlyWhenEnabledFromMaxWindowLayers()
    {
        Assert.Equal([0, 0, 0, 0], ModelConfig.Parse(Qwen + "false}", "q.json").SlidingWindows);
        var on = ModelConfig.Parse(Qwen + "true}", "q.json");
        Assert.Equal([0, 0, 32, 32], on.SlidingWindows);
        Assert.Equal([7, 9], on.EosTokenIds);
    }

    [Fact]
    public void BadEosIsNamed()
    {
        var e = Assert.Throws<FormatException>(() => ModelConfig.Parse(Qwen.Replace("[7, 9]", "\"x\"") + "false}", "q.json"));
        Assert.Contains("q.json: field 'eos_token_id'", e.Message);
    }
}
