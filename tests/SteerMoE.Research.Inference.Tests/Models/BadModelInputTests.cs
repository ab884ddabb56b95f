using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Tests.Checkpoints;

namespace SteerMoE.Research.Inference.Tests.Models;

/// <summary>Each model-level error of issue 2 gets a clear message naming the file and what was expected.</summary>
public class BadModelInputTests
{
    [Fact]
    public void ShapeThatDoesNotMatchTheConfig()
    {
        string dir = FixtureCopy.Make("olmoe", ts => ts.Select(t => t.Name == "model.layers.1.self_attn.q_proj.weight" ? t with { Shape = [32, 128] } : t).ToList());
        var e = Assert.Throws<InvalidDataException>(() => MoeModel.Load(dir));
        Assert.Contains("'model.layers.1.self_attn.q_proj.weight' has shape [32, 128], but config.json implies [64, 64]", e.Message);
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void DtypeThatIsNotAWeightType()
    {
        string dir = FixtureCopy.Make("mixtral", ts => ts.Select(t => t.Name == "model.layers.0.block_sparse_moe.experts.3.w2.weight" ? t with { Type = DType.I16 } : t).ToList());
        var e = Assert.Throws<InvalidDataException>(() => MoeModel.Load(dir));
        Assert.Contains("'model.layers.0.block_sparse_moe.experts.3.w2.weight' has dtype I16", e.Message);
    }

    [Fact]
    public void ConfigThatDisagreesWithTheWeights()
    {
        string dir = FixtureCopy.Make("qwen3_moe", editConfig: c => c["moe_intermediate_size"] = 48);
        var e = Assert.Throws<InvalidDataException>(() => MoeModel.Load(dir));
        Assert.Contains("gate_proj.weight' has shape [32, 64], but config.json implies [48, 64]", e.Message);
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        string dir = FixtureCopy.Make("gpt_oss", ts => ts.Where(t => t.Name != "model.layers.2.self_attn.sinks").ToList());
        var e = Assert.Throws<InvalidDataException>(() => MoeModel.Load(dir));
        Assert.Contains("tensor 'model.layers.2.self_attn.sinks' is missing", e.Message);
        Assert.Contains(dir, e.Message);
    }

    [Fact]
    public void UnknownArchitectureListsTheSupported()
    {
        string dir = FixtureCopy.Make("olmoe", editConfig: c => c["architectures"] = new System.Text.Json.Nodes.JsonArray("JambaForCausalLM"));
        var e = Assert.Throws<NotSupportedException>(() => MoeModel.Load(dir));
        Assert.Contains("JambaForCausalLM is not supported", e.Message);
        foreach (var name in new[] { "OlmoeForCausalLM", "MixtralForCausalLM", "Qwen2MoeForCausalLM", "Qwen3MoeForCausalLM", "PhimoeForCausalLM", "GptOssForCausalLM", "LlamaForCausalLM", "DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM" })
            Assert.Contains(name, e.Message);
        Assert.Contains("config.json", e.Message);
    }

    [Theory]
    [InlineData("olmoe", "num_experts")]
    [InlineData("mixtral", "num_local_experts")]
    [InlineData("qwen2_moe", "shared_expert_intermediate_size")]
    [InlineData("gpt_oss", "sliding_window")]
    [InlineData("phimoe", "hidden_size")]
    [InlineData("qwen3_moe", "num_experts_per_tok")]
    public void ConfigWithoutANeededField(string arch, string field)
    {
        string dir = FixtureCopy.Make(arch, editConfig: c => c.Remove(field));
        var e = Assert.Throws<FormatException>(() => MoeModel.Load(dir));
        Assert.Contains($"field '{field}' is missing", e.Message);
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void MissingConfigAndMissingWeights()
    {
        string empty = SteerMoE.Research.Tests.RepoPaths.TempDir("empty-model");
        Assert.Contains("config.json", Assert.Throws<FileNotFoundException>(() => MoeModel.Load(empty)).Message);
        File.Copy(Path.Combine(SteerMoE.Research.Tests.RepoPaths.Fixture("olmoe"), "config.json"), Path.Combine(empty, "config.json"));
        Assert.Contains("no model.safetensors", Assert.Throws<FileNotFoundException>(() => MoeModel.Load(empty)).Message);
    }

    [Fact]
    public void TokenOutsideTheVocabulary()
    {
        using var model = MoeModel.Load(SteerMoE.Research.Tests.RepoPaths.Fixture("olmoe"));
        Assert.Contains("token id 384", Assert.Throws<ArgumentException>(() => model.Forward([[1, 384]])).Message);
    }
}
