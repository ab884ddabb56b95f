using System.Text.Json.Nodes;
using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Inference.Routing;
using SteerMoE.Research.Tests;

namespace SteerMoE.Research.Inference.Tests.Architectures;

/// <summary>
/// The dense Llama architecture (Llama-Guard-3 judges): the same weights as a one-expert top-1 Mixtral give the same
/// logits, tied embeddings, llama3 rope against its published formula, and the config / checkpoint errors.
/// </summary>
public class LlamaArchitectureTests
{
    private const int Hidden = 64, Heads = 4, KvHeads = 2, HeadDim = 16, Inter = 96, Vocab = 300, Layers = 2;

    private static readonly int[] Tokens = [1, 5, 17, 42, 99, 250, 3, 7, 12, 299, 64, 128];

    /// <summary>A Llama-3.2-style config at toy width: llama3 rope (the real values), no sliding window.</summary>
    private static JsonObject LlamaConfig(bool tied) => JsonNode.Parse($$"""
        {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": {{Hidden}}, "num_hidden_layers": {{Layers}},
         "num_attention_heads": {{Heads}}, "num_key_value_heads": {{KvHeads}}, "head_dim": {{HeadDim}}, "intermediate_size": {{Inter}},
         "vocab_size": {{Vocab}}, "rms_norm_eps": 1e-05, "max_position_embeddings": 131072, "rope_theta": 500000.0,
         "rope_scaling": {"factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"},
         "attention_bias": false, "mlp_bias": false, "tie_word_embeddings": {{(tied ? "true" : "false")}},
         "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009]}
        """)!.AsObject();

    /// <summary>The same model as Mixtral: one local expert, top-1, no sliding window (rope read by the same common code).</summary>
    private static JsonObject MixtralConfig()
    {
        var c = LlamaConfig(tied: false);
        c["architectures"] = new JsonArray("MixtralForCausalLM");
        c["model_type"] = "mixtral";
        c.Remove("attention_bias"); c.Remove("mlp_bias");
        c["num_local_experts"] = 1; c["num_experts_per_tok"] = 1; c["sliding_window"] = null;
        return c;
    }

    /// <summary>Random fp32 weights in the Llama hub names, norms near 1 (so a norm mix-up would show).</summary>
    private static Dictionary<string, (float[] Values, long[] Shape)> LlamaWeights(int seed)
    {
        var random = new Random(seed);
        var w = new Dictionary<string, (float[], long[])>();
        void Add(string name, float scale, float offset, params long[] shape)
        {
            var v = new float[shape.Aggregate(1L, (a, b) => a * b)];
            for (int i = 0; i < v.Length; i++) v[i] = offset + scale * (float)(random.NextDouble() * 2 - 1);
            w[name] = (v, shape);
        }
        Add("model.embed_tokens.weight", 0.5f, 0, Vocab, Hidden);
        Add("lm_head.weight", 0.2f, 0, Vocab, Hidden);
        Add("model.norm.weight", 0.1f, 1, Hidden);
        for (int l = 0; l < Layers; l++)
        {
            string p = $"model.layers.{l}.";
            Add(p + "input_layernorm.weight", 0.1f, 1, Hidden);
            Add(p + "post_attention_layernorm.weight", 0.1f, 1, Hidden);
            Add(p + "self_attn.q_proj.weight", 0.15f, 0, Heads * HeadDim, Hidden);
            Add(p + "self_attn.k_proj.weight", 0.15f, 0, KvHeads * HeadDim, Hidden);
            Add(p + "self_attn.v_proj.weight", 0.15f, 0, KvHeads * HeadDim, Hidden);
            Add(p + "self_attn.o_proj.weight", 0.15f, 0, Hidden, Heads * HeadDim);
            Add(p + "mlp.gate_proj.weight", 0.15f, 0, Inter, Hidden);
            Add(p + "mlp.up_proj.weight", 0.15f, 0, Inter, Hidden);
            Add(p + "mlp.down_proj.weight", 0.15f, 0, Hidden, Inter);
        }
        return w;
    }

    /// <summary>The same tensors renamed to Mixtral's one-expert layout, with the zero router [1, H] Mixtral stores.</summary>
    private static Dictionary<string, (float[] Values, long[] Shape)> AsMixtral(Dictionary<string, (float[] Values, long[] Shape)> llama)
    {
        var m = new Dictionary<string, (float[], long[])>();
        foreach (var (name, t) in llama)
        {
            string renamed = name.Replace(".mlp.gate_proj.", ".block_sparse_moe.experts.0.w1.")
                .Replace(".mlp.up_proj.", ".block_sparse_moe.experts.0.w3.").Replace(".mlp.down_proj.", ".block_sparse_moe.experts.0.w2.");
            m[renamed] = t;
        }
        for (int l = 0; l < Layers; l++) m[$"model.layers.{l}.block_sparse_moe.gate.weight"] = (new float[Hidden], [1, Hidden]);
        return m;
    }

    private static string Write(string name, JsonObject config, Dictionary<string, (float[] Values, long[] Shape)> weights)
    {
        string dir = RepoPaths.TempDir(name);
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        SafetensorsWriter.Write(Path.Combine(dir, "model.safetensors"),
            weights.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => TensorToWrite.Single(kv.Key, kv.Value.Values, kv.Value.Shape)));
        return dir;
    }

    private sealed class RoutingRecorder : IRoutingObserver
    {
        public readonly List<(int Layer, int Experts, int K, float[] Logits, int[] Index, float[] Weight)> Batches = new();
        public void OnRouting(in RoutingBatch b) =>
            Batches.Add((b.Layer, b.ExpertCount, b.TopK, b.RouterLogits.ToArray(), b.TopKIndex.ToArray(), b.TopKWeight.ToArray()));
    }

    /// <summary>
    /// Dense Llama = Mixtral with one expert routed top-1 (the weight is exactly 1): full-sequence logits agree to 1e-5
    /// in exact mode, with an explicit lm_head and with tied embeddings (the Mixtral side then stores lm_head = embed).
    /// Routing hooks see one expert per layer with weight exactly 1.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DenseLlamaEqualsOneExpertTopOneMixtral(bool tied)
    {
        var llama = LlamaWeights(seed: tied ? 11 : 7);
        if (tied) llama.Remove("lm_head.weight");
        var mixtral = AsMixtral(llama);
        if (tied) mixtral["lm_head.weight"] = llama["model.embed_tokens.weight"];
        string llamaDir = Write("llama-dense-" + tied, LlamaConfig(tied), llama);
        string mixtralDir = Write("llama-as-mixtral-" + tied, MixtralConfig(), mixtral);

        using var dense = MoeModel.Load(llamaDir);
        using var moe = MoeModel.Load(mixtralDir);
        Assert.Equal(("LlamaForCausalLM", 1, 1, tied), (dense.Config.Architecture, dense.Config.ExpertCount, dense.Config.TopK, dense.Config.TieWordEmbeddings));
        Assert.Equal(("llama3", 32.0, 8192), (dense.Config.Rope.Type, dense.Config.Rope.Factor, dense.Config.Rope.OriginalMaxPositions));
        Assert.Equal(128000, dense.Config.BosTokenId);
        Assert.Equal([128001, 128008, 128009], dense.Config.EosTokenIds);
        Assert.All(dense.Config.SlidingWindows, w => Assert.Equal(0, w));

        var recorder = new RoutingRecorder();
        var options = new ForwardOptions { Precision = Precision.Exact, ReturnLogits = true };
        var a = dense.Forward([Tokens], options with { Observer = recorder }).Logits!;
        var b = moe.Forward([Tokens], options).Logits!;
        Assert.Equal(Tokens.Length * Vocab, a.Length);
        float maxDiff = a.Zip(b, (x, y) => MathF.Abs(x - y)).Max();
        Assert.True(maxDiff <= 1e-5f, $"max |llama - mixtral| = {maxDiff}");
        Assert.True(a.Max() - a.Min() > 0.1f, "random weights give spread logits");   // not a pair of constant outputs

        Assert.Equal(Layers, recorder.Batches.Count);
        foreach (var r in recorder.Batches)
        {
            Assert.Equal((1, 1), (r.Experts, r.K));
            Assert.All(r.Logits, z => Assert.Equal(0f, z));
            Assert.All(r.Index, i => Assert.Equal(0, i));
            Assert.All(r.Weight, w => Assert.Equal(1f, w));
        }

        if (tied)
        {
            // The tied head is the embedding: the last row's logits are embed · normed hidden, so swapping in a different
            // explicit lm_head must change them (the tie is really used, not a hidden default).
            var untied = LlamaWeights(seed: 11);
            string other = Write("llama-untied-head", LlamaConfig(tied: false), untied);
            using var withHead = MoeModel.Load(other);
            var c = withHead.Forward([Tokens], options).Logits!;
            Assert.True(a.Zip(c, (x, y) => MathF.Abs(x - y)).Max() > 1e-2f);
        }
    }

    /// <summary>The published llama3 formula, computed here in double from the definition.</summary>
    private static double Llama3Reference(int i, double theta, int dim, double factor, double low, double high, double context)
    {
        double inv = 1.0 / Math.Pow(theta, 2.0 * i / dim), wavelength = 2 * Math.PI / inv;
        if (wavelength > context / low) return inv / factor;
        if (wavelength < context / high) return inv;
        double smooth = (context / wavelength - low) / (high - low);
        return (1 - smooth) * inv / factor + smooth * inv;
    }

    [Fact]
    public void Llama3RopeFrequenciesFollowThePublishedFormula()
    {
        var config = ModelConfig.Parse(JsonNode.Parse("""
            {"architectures": ["LlamaForCausalLM"], "hidden_size": 256, "num_attention_heads": 4, "head_dim": 64, "num_hidden_layers": 1,
             "intermediate_size": 32, "vocab_size": 10, "rms_norm_eps": 1e-5, "max_position_embeddings": 131072, "rope_theta": 500000.0,
             "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}
            """)!.ToJsonString(), "llama3.json");
        Assert.Equal((1.0, 4.0, 8192), (config.Rope.LowFreqFactor, config.Rope.HighFreqFactor, config.Rope.OriginalMaxPositions));
        var rope = new RotaryEmbedding(config.Rope, 64, config.MaxPositions);
        var inv = rope.InverseFrequencies(10);
        Assert.Equal(32, inv.Length);
        for (int i = 0; i < 32; i++)
        {
            double expected = Llama3Reference(i, 500000, 64, 32, 1, 4, 8192);
            Assert.True(Math.Abs(inv[i] - expected) <= 2e-7 * expected, $"inv_freq[{i}] = {inv[i]:R}, formula {expected:R}");
        }
        // Pinned from python3 (math only, the formula above): one value in each regime.
        Assert.Equal(1.6560440081e-02, inv[10], 1.6560440081e-02 * 1e-6);   // wavelength 379 < 8192/4: unchanged
        Assert.Equal(4.2955679656e-04, inv[16], 4.2955679656e-04 * 1e-6);   // wavelength 4443: smoothed, s = 0.2813
        Assert.Equal(1.6619674678e-06, inv[24], 1.6619674678e-06 * 1e-6);   // wavelength 118143 > 8192: divided by 32
        // Same model with default rope: the high frequencies agree, the low ones are 32 times larger.
        var plain = new RotaryEmbedding(new RopeSettings { Theta = 500000 }, 64, config.MaxPositions).InverseFrequencies(10);
        Assert.Equal(plain[10], inv[10]);
        Assert.Equal(plain[24] / 32.0, (double)inv[24], plain[24] * 1e-7);
    }

    [Fact]
    public void UntiedCheckpointWithoutLmHeadNamesTheFileAndTensor()
    {
        var weights = LlamaWeights(seed: 3);
        weights.Remove("lm_head.weight");
        string tiedDir = Write("llama-tied-ok", LlamaConfig(tied: true), weights);
        using (var model = MoeModel.Load(tiedDir)) Assert.True(model.Config.TieWordEmbeddings);

        string dir = Write("llama-untied-missing", LlamaConfig(tied: false), weights);
        var e = Assert.Throws<InvalidDataException>(() => MoeModel.Load(dir));
        Assert.Contains(Path.Combine(dir, "model.safetensors"), e.Message);
        Assert.Contains("tensor 'lm_head.weight' is missing", e.Message);
        Assert.Contains("tie_word_embeddings false", e.Message);
        Assert.Contains(Path.Combine(dir, "config.json"), e.Message);
    }

    [Theory]
    [InlineData("factor")]
    [InlineData("low_freq_factor")]
    [InlineData("high_freq_factor")]
    [InlineData("original_max_position_embeddings")]
    public void Llama3RopeWithoutAFieldNamesConfigAndField(string field)
    {
        var config = LlamaConfig(tied: true);
        config["rope_scaling"]!.AsObject().Remove(field);
        var weights = LlamaWeights(seed: 5);
        weights.Remove("lm_head.weight");
        string dir = Write("llama-rope-missing-" + field, config, weights);
        var e = Assert.Throws<FormatException>(() => MoeModel.Load(dir));
        Assert.Contains(Path.Combine(dir, "config.json"), e.Message);
        Assert.Contains($"field 'rope_scaling.{field}' is missing", e.Message);
    }

    [Fact]
    public void UnknownRopeTypeNamesConfigAndField()
    {
        var config = LlamaConfig(tied: true);
        config["rope_scaling"]!["rope_type"] = "llama4";
        var e = Assert.Throws<NotSupportedException>(() => ModelConfig.Parse(config.ToJsonString(), "/m/config.json"));
        Assert.Contains("/m/config.json: rope_scaling: field 'rope_type'", e.Message);
        Assert.Contains("'llama4' is not supported", e.Message);
        Assert.Contains("llama3", e.Message);
    }

    [Fact]
    public void MlpBiasIsRefusedByName()
    {
        var config = LlamaConfig(tied: true);
        config["mlp_bias"] = true;
        var e = Assert.Throws<NotSupportedException>(() => ModelConfig.Parse(config.ToJsonString(), "/m/config.json"));
        Assert.Contains("/m/config.json: field 'mlp_bias'", e.Message);
    }

    /// <summary>make-random's tiny Llama-Guard preset: tied (no lm_head stored), llama3 rope, loads and runs.</summary>
    [Fact]
    public void TinyLlamaGuardPresetLoadsAndRuns()
    {
        string dir = RepoPaths.TempDir("llama-guard-tiny");
        var written = RandomCheckpoint.Write("llama-guard-3-1b-tiny", dir, seed: 2);
        Assert.Equal(("LlamaForCausalLM", 2, 1, 1, "llama3", true), (written.Architecture, written.LayerCount, written.ExpertCount, written.TopK, written.Rope.Type, written.TieWordEmbeddings));
        using (var file = SafetensorsFile.Open(Path.Combine(dir, "model.safetensors")))
        {
            Assert.Null(file.Find("lm_head.weight"));
            Assert.NotNull(file.Find("model.layers.1.mlp.down_proj.weight"));
            Assert.DoesNotContain(file.Tensors.Keys, k => k.Contains("gate.weight") && !k.Contains("gate_proj"));   // no router stored
        }
        using var model = MoeModel.Load(dir);
        var logits = model.Forward([[1, 2, 3, 4, 5]], new ForwardOptions { ReturnLogits = true }).Logits!;
        Assert.All(logits, x => Assert.True(float.IsFinite(x)));
        Assert.True(logits.Max() - logits.Min() > 1e-4f);

        var full = ModelConfig.Parse(RandomCheckpoint.Presets["llama-guard-3-1b"]().ToJsonString(), "llama-guard-3-1b");
        Assert.Equal((16, 2048, 32, 8, 64, 8192, 128256), (full.LayerCount, full.HiddenSize, full.HeadCount, full.KeyValueHeadCount, full.HeadDim, full.ExpertIntermediateSize, full.VocabSize));
        Assert.Equal((500000.0, 32.0, 1.0, 4.0, 8192), (full.Rope.Theta, full.Rope.Factor, full.Rope.LowFreqFactor, full.Rope.HighFreqFactor, full.Rope.OriginalMaxPositions));
    }
}
