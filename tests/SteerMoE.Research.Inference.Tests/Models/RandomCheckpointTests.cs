using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Inference.Tests.Models;

public class RandomCheckpointTests
{
    /// <summary>Every preset's config.json (the real models' fields) is read completely: no field is left unread.</summary>
    [Fact]
    public void PresetConfigsLeaveNoFieldUnread()
    {
        foreach (var (name, make) in RandomCheckpoint.Presets)
            Assert.True(ModelConfig.Parse(make().ToJsonString(), name).UnreadFields.Count == 0,
                name + ": " + string.Join(", ", ModelConfig.Parse(make().ToJsonString(), name).UnreadFields));
    }

    /// <summary>The presets' configs, shrunk in width (real layouts, small numbers), load and run; the full shapes are exercised by bench.</summary>
    [Theory]
    [InlineData("olmoe-1b-7b")]
    [InlineData("qwen3-30b-a3b")]
    [InlineData("mixtral-8x7b")]
    [InlineData("gpt-oss-20b")]
    [InlineData("llama-guard-3-1b")]
    [InlineData("deepseek-v2-lite")]
    [InlineData("deepseek-v3")]
    [InlineData("glm-4.5-air")]
    [InlineData("granite-moe")]
    public void ShrunkPresetLoadsAndRuns(string preset)
    {
        var config = RandomCheckpoint.Presets[preset]();
        config["hidden_size"] = 64; config["vocab_size"] = 300; config["intermediate_size"] = 64;
        if (config["moe_intermediate_size"] is not null) config["moe_intermediate_size"] = 32;
        config["num_attention_heads"] = 4; config["num_key_value_heads"] = 2;
        if (config["head_dim"] is not null) config["head_dim"] = 16;
        if (config["num_experts"] is not null) config["num_experts"] = 8;
        if (config["num_local_experts"] is not null) config["num_local_experts"] = 8;
        config["num_experts_per_tok"] = 2;
        if (config["kv_lora_rank"] is not null)
        {
            // latent attention at toy widths; 8 experts in 4 groups of 2 (V3); one dense layer, then MoE
            config["kv_lora_rank"] = 32; config["qk_nope_head_dim"] = 16; config["qk_rope_head_dim"] = 8; config["v_head_dim"] = 16;
            if (config["q_lora_rank"] is not null) config["q_lora_rank"] = 24;
            config["n_routed_experts"] = 8; config["first_k_dense_replace"] = 1;
            if ((int)config["n_group"]! > 1) { config["n_group"] = 4; config["topk_group"] = 2; }
        }
        if (config["partial_rotary_factor"] is not null) { config["head_dim"] = 16; config["n_routed_experts"] = 8; config["use_qk_norm"] = true; }
        string dir = RepoPaths.TempDir("random-" + preset);
        var written = RandomCheckpoint.Write(config, dir, layers: 2, seed: 3);
        Assert.Equal(2, written.LayerCount);
        using var model = MoeModel.Load(dir);
        Assert.Equal(preset == "gpt-oss-20b" ? "mxfp4" : null, model.Config.QuantizationMethod);
        var logits = model.Forward([[1, 2, 3, 4, 5]], new ForwardOptions { ReturnLogits = true }).Logits!;
        Assert.All(logits, x => Assert.True(float.IsFinite(x)));
        Assert.True(logits.Max() - logits.Min() > 1e-4f);   // random weights give distinct logits
        // deterministic: the same seed writes the same bytes
        string again = RepoPaths.TempDir("random-again-" + preset);
        RandomCheckpoint.Write(RandomCheckpoint.Presets[preset]() is var c2 ? Shrink(c2, config) : null!, again, layers: 2, seed: 3);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "model.safetensors")), File.ReadAllBytes(Path.Combine(again, "model.safetensors")));
    }

    private static System.Text.Json.Nodes.JsonObject Shrink(System.Text.Json.Nodes.JsonObject fresh, System.Text.Json.Nodes.JsonObject shrunk)
    {
        foreach (var (k, v) in shrunk) fresh[k] = v?.DeepClone();
        return fresh;
    }

    [Fact]
    public void PresetShapesAreTheReleasedOnes()
    {
        var olmoe = ModelConfig.Parse(RandomCheckpoint.Presets["olmoe-1b-7b"]().ToJsonString(), "olmoe");
        Assert.Equal((16, 64, 8, 2048, 1024, 50304), (olmoe.LayerCount, olmoe.ExpertCount, olmoe.TopK, olmoe.HiddenSize, olmoe.ExpertIntermediateSize, olmoe.VocabSize));
        var gpt = ModelConfig.Parse(RandomCheckpoint.Presets["gpt-oss-20b"]().ToJsonString(), "gpt");
        Assert.Equal((24, 32, 4, 2880, 64, 8), (gpt.LayerCount, gpt.ExpertCount, gpt.TopK, gpt.HiddenSize, gpt.HeadCount, gpt.KeyValueHeadCount));
        Assert.Equal(128, gpt.SlidingWindows[0]);
        Assert.Equal(0, gpt.SlidingWindows[1]);
        var qwen = ModelConfig.Parse(RandomCheckpoint.Presets["qwen3-30b-a3b"]().ToJsonString(), "qwen");
        Assert.Equal((48, 128, 8, 768), (qwen.LayerCount, qwen.ExpertCount, qwen.TopK, qwen.ExpertIntermediateSize));
        var lite = ModelConfig.Parse(RandomCheckpoint.Presets["deepseek-v2-lite"]().ToJsonString(), "lite");
        Assert.Equal((27, 64, 6, 2048, 1408, 2 * 1408, 102400), (lite.LayerCount, lite.ExpertCount, lite.TopK, lite.HiddenSize, lite.ExpertIntermediateSize, lite.SharedExpertIntermediateSize, lite.VocabSize));
        Assert.Equal([0], lite.DenseLayers);
        Assert.Equal(new LatentAttentionShape(null, 512, 128, 64, 128), lite.LatentAttention);
        var v3 = ModelConfig.Parse(RandomCheckpoint.Presets["deepseek-v3"]().ToJsonString(), "v3");
        Assert.Equal((61, 256, 8, 7168, 2048, 8, 4, 2.5), (v3.LayerCount, v3.ExpertCount, v3.TopK, v3.HiddenSize, v3.ExpertIntermediateSize, v3.ExpertGroups, v3.KeptExpertGroups, v3.RoutedScalingFactor));
        Assert.Equal([0, 1, 2], v3.DenseLayers);
        Assert.Equal(new LatentAttentionShape(1536, 512, 128, 64, 128), v3.LatentAttention);
        Assert.Equal((576, 0), v3.CacheWidths);   // the compressed cache: kv_lora_rank + rope floats per token and layer
        var glm = ModelConfig.Parse(RandomCheckpoint.Presets["glm-4.5-air"]().ToJsonString(), "glm");
        Assert.Equal((46, 128, 8, 4096, 96, 8, 128, 64), (glm.LayerCount, glm.ExpertCount, glm.TopK, glm.HiddenSize, glm.HeadCount, glm.KeyValueHeadCount, glm.HeadDim, glm.RotaryDims));
        Assert.Equal([0], glm.DenseLayers);
        var granite = ModelConfig.Parse(RandomCheckpoint.Presets["granite-moe"]().ToJsonString(), "granite");
        Assert.Equal((32, 40, 8, 1536, 512, 12.0, 0.22, 6.0, 0.015625), (granite.LayerCount, granite.ExpertCount, granite.TopK, granite.HiddenSize,
            granite.ExpertIntermediateSize, granite.EmbeddingMultiplier, granite.ResidualMultiplier, granite.LogitsScaling, granite.AttentionMultiplier!.Value));
        var mixtral = ModelConfig.Parse(RandomCheckpoint.Presets["mixtral-8x7b"]().ToJsonString(), "mixtral");
        Assert.Equal((32, 8, 2, 4096, 14336), (mixtral.LayerCount, mixtral.ExpertCount, mixtral.TopK, mixtral.HiddenSize, mixtral.ExpertIntermediateSize));
    }
}
