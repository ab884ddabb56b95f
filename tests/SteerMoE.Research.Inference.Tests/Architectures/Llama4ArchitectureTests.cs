using System.Text.Json.Nodes;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Inference.Tests.Architectures;

/// <summary>
/// Llama 4's config as transformers' Llama4TextConfig reads it (moe_layers / interleave_moe_layer_step, no_rope_layers /
/// no_rope_layer_interval, layer_types, attention_chunk_size, temperature tuning), its errors, and its sigmoid top-k router.
/// The forward pass itself is checked against llama.cpp (LlamaCppParityTests, fixture llama4).
/// </summary>
public class Llama4ArchitectureTests
{
    private static JsonObject Scout() => RandomCheckpoint.Presets["llama4-scout"]();

    private static ModelConfig Parse(JsonObject config) => ModelConfig.Parse(config.ToJsonString(), "config.json");

    [Fact]
    public void ScoutDefaultsAreTransformersOnes()
    {
        var c = Parse(Scout());
        Assert.Equal(("Llama4ForConditionalGeneration", 48, 16, 1, 5120, 40, 8, 128), (c.Architecture, c.LayerCount, c.ExpertCount, c.TopK, c.HiddenSize, c.HeadCount, c.KeyValueHeadCount, c.HeadDim));
        Assert.Equal((8192, 8192), (c.ExpertIntermediateSize, c.SharedExpertIntermediateSize));
        Assert.Empty(c.DenseLayers);                                                    // interleave_moe_layer_step 1
        Assert.Equal(Enumerable.Range(0, 12).Select(i => 4 * i + 3), c.NoRopeLayers);   // no_rope_layers [] → every 4th
        Assert.All(Enumerable.Range(0, 48), l => Assert.Equal(c.NoRopeLayers.Contains(l) ? 0 : 8192, c.AttentionChunks[l]));
        Assert.Equal(new QueryTemperature(8192, 0.1), c.AttentionTemperature);
        Assert.True(c.QkNorm);
        Assert.Equal(("llama3", 16.0, 1.0, 1.0), (c.Rope.Type, c.Rope.Factor, c.Rope.LowFreqFactor, c.Rope.HighFreqFactor));
        Assert.Empty(c.UnreadFields);
    }

    [Fact]
    public void MaverickStyleInterleavingAndExplicitLists()
    {
        var config = Scout();
        var text = (JsonObject)config["text_config"]!;
        text["num_hidden_layers"] = 6; text["interleave_moe_layer_step"] = 2;
        Assert.Equal([0, 2, 4], Parse(config).DenseLayers);                              // the last layer of each step is MoE
        text["moe_layers"] = new JsonArray(0, 5);                                        // overrides the step
        text["no_rope_layers"] = new JsonArray(1, 0, 1, 1, 0, 1);
        text["attn_temperature_tuning"] = 4;                                             // older hub configs: a number, read as true
        var c = Parse(config);
        Assert.Equal([1, 2, 3, 4], c.DenseLayers);
        Assert.Equal([1, 4], c.NoRopeLayers);
        Assert.Equal([8192, 0, 8192, 8192, 0, 8192], c.AttentionChunks);
        Assert.NotNull(c.AttentionTemperature);
        text["attention_chunk_size"] = null;                                             // null: no chunking
        text["attn_temperature_tuning"] = false;
        text["layer_types"] = new JsonArray("full_attention", "full_attention", "chunked_attention", "full_attention", "full_attention", "full_attention");
        c = Parse(config);
        Assert.All(c.AttentionChunks, x => Assert.Equal(0, x));
        Assert.Null(c.AttentionTemperature);
    }

    [Fact]
    public void TextOnlyCausalLmReadsTopLevelFields()
    {
        var text = (JsonObject)Scout()["text_config"]!.DeepClone();
        text["architectures"] = new JsonArray("Llama4ForCausalLM");
        var c = Parse(text);
        Assert.Equal(("Llama4ForCausalLM", "llama4_text", 48), (c.Architecture, c.ModelType, c.LayerCount));
        Assert.Equal("", ArchitectureRegistry_Prefix(c));
        Assert.Equal("language_model.", ArchitectureRegistry_Prefix(Parse(Scout())));
    }

    private static string ArchitectureRegistry_Prefix(ModelConfig c) => SteerMoE.Research.Inference.Architectures.ArchitectureRegistry.Get(c).TensorPrefix;

    [Theory]
    [InlineData("moe_layers", "[3, 60]", "field 'moe_layers': layer 60 does not exist; expected indices in 0..47")]
    [InlineData("no_rope_layers", "[1, 0, 1]", "field 'no_rope_layers' has 3 entries; expected at least num_hidden_layers = 48")]
    [InlineData("no_rope_layers", "[2]", "field 'no_rope_layers': expected entries 0 (NoPE) or 1 (rope)")]
    [InlineData("layer_types", "[\"sliding_attention\"]", "field 'layer_types' has 1 entries, expected num_hidden_layers = 48")]
    [InlineData("attn_temperature_tuning", "\"yes\"", "field 'attn_temperature_tuning': expected true, false or a number, got \"yes\"")]
    [InlineData("floor_scale", "0", "field 'floor_scale' = 0; expected a positive number of tokens")]
    [InlineData("interleave_moe_layer_step", "0", "field 'interleave_moe_layer_step': expected a positive integer, got 0")]
    public void BadTextConfigFieldsAreNamed(string field, string json, string message)
    {
        var config = Scout();
        ((JsonObject)config["text_config"]!)[field] = JsonNode.Parse(json);
        var e = Assert.Throws<FormatException>(() => Parse(config));
        Assert.Contains("config.json: text_config: " + message, e.Message);
    }

    [Fact]
    public void MissingTextConfigOrDenseWidthIsNamed()
    {
        var config = Scout();
        config.Remove("text_config");
        Assert.Contains("config.json: field 'text_config' is missing; Llama4ForConditionalGeneration keeps the language model's config there",
            Assert.Throws<FormatException>(() => Parse(config)).Message);
        config = Scout();
        var text = (JsonObject)config["text_config"]!;
        text["interleave_moe_layer_step"] = 2; text.Remove("intermediate_size_mlp");
        Assert.Contains("config.json: text_config: field 'intermediate_size_mlp' is missing", Assert.Throws<FormatException>(() => Parse(config)).Message);
    }

    /// <summary>σ of the chosen logits, no renormalisation; the rewrite sits on the selection copy of the logits.</summary>
    [Fact]
    public void SigmoidTopKRoutingWeighsByTheLogitsSigmoid()
    {
        var routing = new SigmoidTopKRouting(2);
        float[] logits = [0.5f, -1f, 2f, 1.5f];
        var index = new int[2]; var weight = new float[2];
        routing.Route(logits, index, weight);
        Assert.Equal([2, 3], index);
        Assert.Equal(1 / (1 + MathF.Exp(-2f)), weight[0], 6);
        Assert.Equal(1 / (1 + MathF.Exp(-1.5f)), weight[1], 6);
        // a selection that prefers expert 1 chooses it, still weighted by σ of its own logit
        routing.Select(logits, [0f, 9f, 1f, -5f], index, weight);
        Assert.Equal([1, 2], index);
        Assert.Equal(1 / (1 + MathF.Exp(1f)), weight[0], 6);
    }

    /// <summary>The Scout preset at toy widths writes the hub's multimodal layout (language_model. names, fused experts) and runs.</summary>
    [Fact]
    public void ShrunkScoutPresetLoadsAndRuns()
    {
        var config = Scout();
        var text = (JsonObject)config["text_config"]!;
        text["hidden_size"] = 64; text["vocab_size"] = 300; text["intermediate_size"] = 32; text["intermediate_size_mlp"] = 96;
        text["num_attention_heads"] = 4; text["num_key_value_heads"] = 2; text["head_dim"] = 16; text["num_local_experts"] = 8;
        text["interleave_moe_layer_step"] = 2;
        string dir = RepoPaths.TempDir("random-llama4-scout");
        var written = RandomCheckpoint.Write(config, dir, layers: 4, seed: 3);
        Assert.Equal([0, 2], written.DenseLayers);
        Assert.Equal([3], written.NoRopeLayers);
        using var model = MoeModel.Load(dir);
        Assert.Contains("language_model.model.layers.1.feed_forward.experts.gate_up_proj", model.Weights.TensorNames);
        Assert.Null(model.Layers[0].Moe);
        Assert.True(model.Layers[1].Moe!.WeightsScaleInputs);
        var logits = model.Forward([[1, 2, 3, 4, 5]], new ForwardOptions { ReturnLogits = true }).Logits!;
        Assert.All(logits, x => Assert.True(float.IsFinite(x)));
        Assert.True(logits.Max() - logits.Min() > 1e-4f);
    }
}
