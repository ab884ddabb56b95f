using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using SteerMoE.Research.Inference.Architectures;
using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Kernels;

namespace SteerMoE.Research.Inference.Models;

/// <summary>
/// Checkpoints of real model shapes with random weights, for benchmarks without downloads: config.json as the
/// hub has it and bf16 weights (gpt-oss experts MXFP4, as released), ~N(0, 0.02)-sized values, norms 1. No
/// tokenizer is written: commands that tokenise text need one from a real model folder (detect's --tokenizer).
/// </summary>
public static class RandomCheckpoint
{
    /// <summary>The released models whose shapes can be reproduced.</summary>
    public static IReadOnlyDictionary<string, Func<JsonObject>> Presets { get; } = new Dictionary<string, Func<JsonObject>>
    {
        ["olmoe-1b-7b"] = () => Config("""
            {"architectures": ["OlmoeForCausalLM"], "model_type": "olmoe", "hidden_size": 2048, "num_hidden_layers": 16,
             "num_attention_heads": 16, "num_key_value_heads": 16, "intermediate_size": 1024, "num_experts": 64,
             "num_experts_per_tok": 8, "vocab_size": 50304, "rope_theta": 10000.0, "rope_scaling": null, "rms_norm_eps": 1e-05,
             "max_position_embeddings": 4096, "norm_topk_prob": false, "tie_word_embeddings": false, "clip_qkv": null,
             "attention_bias": false, "hidden_act": "silu", "eos_token_id": 50279, "pad_token_id": 1, "torch_dtype": "bfloat16"}
            """),
        ["qwen3-30b-a3b"] = () => Config("""
            {"architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe", "hidden_size": 2048, "num_hidden_layers": 48,
             "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 128, "intermediate_size": 6144,
             "moe_intermediate_size": 768, "num_experts": 128, "num_experts_per_tok": 8, "vocab_size": 151936,
             "rope_theta": 1000000.0, "rope_scaling": null, "rms_norm_eps": 1e-06, "max_position_embeddings": 40960,
             "norm_topk_prob": true, "decoder_sparse_step": 1, "mlp_only_layers": [], "use_sliding_window": false,
             "sliding_window": null, "max_window_layers": 48, "tie_word_embeddings": false, "attention_bias": false,
             "hidden_act": "silu", "bos_token_id": 151643, "eos_token_id": 151645, "torch_dtype": "bfloat16"}
            """),
        ["mixtral-8x7b"] = () => Config("""
            {"architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "hidden_size": 4096, "num_hidden_layers": 32,
             "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336, "num_local_experts": 8,
             "num_experts_per_tok": 2, "vocab_size": 32000, "rope_theta": 1000000.0, "rms_norm_eps": 1e-05,
             "max_position_embeddings": 32768, "sliding_window": null, "tie_word_embeddings": false, "hidden_act": "silu",
             "router_aux_loss_coef": 0.02, "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "bfloat16"}
            """),
        ["gpt-oss-20b"] = () =>
        {
            var c = Config("""
                {"architectures": ["GptOssForCausalLM"], "model_type": "gpt_oss", "hidden_size": 2880, "num_hidden_layers": 24,
                 "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64, "intermediate_size": 2880,
                 "num_local_experts": 32, "num_experts_per_tok": 4, "experts_per_token": 4, "vocab_size": 201088,
                 "rope_theta": 150000, "rope_scaling": {"beta_fast": 32.0, "beta_slow": 1.0, "factor": 32.0,
                 "original_max_position_embeddings": 4096, "rope_type": "yarn", "truncate": false},
                 "rms_norm_eps": 1e-05, "max_position_embeddings": 131072, "sliding_window": 128, "attention_bias": true,
                 "swiglu_limit": 7.0, "tie_word_embeddings": false, "hidden_act": "silu", "eos_token_id": 200002,
                 "pad_token_id": 199999, "torch_dtype": "bfloat16",
                 "quantization_config": {"quant_method": "mxfp4", "modules_to_not_convert": ["model.layers.*.self_attn",
                   "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"]}}
                """);
            c["layer_types"] = new JsonArray(Enumerable.Range(0, 24).Select(l => (JsonNode)(l % 2 == 0 ? "sliding_attention" : "full_attention")).ToArray());
            return c;
        },
        // DeepSeek-V2-Lite: MLA without the query bottleneck, 1 leading dense layer, 64 experts top-6 + 2 shared, softmax greedy.
        ["deepseek-v2-lite"] = () => Config("""
            {"architectures": ["DeepseekV2ForCausalLM"], "model_type": "deepseek_v2", "hidden_size": 2048, "num_hidden_layers": 27,
             "num_attention_heads": 16, "num_key_value_heads": 16, "intermediate_size": 10944, "moe_intermediate_size": 1408,
             "n_routed_experts": 64, "n_shared_experts": 2, "num_experts_per_tok": 6, "first_k_dense_replace": 1, "moe_layer_freq": 1,
             "kv_lora_rank": 512, "q_lora_rank": null, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128,
             "topk_method": "greedy", "n_group": 1, "topk_group": 1, "norm_topk_prob": false, "routed_scaling_factor": 1.0,
             "scoring_func": "softmax", "aux_loss_alpha": 0.001, "seq_aux": true, "vocab_size": 102400, "rope_theta": 10000,
             "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 0.707, "mscale_all_dim": 0.707,
               "original_max_position_embeddings": 4096, "type": "yarn"},
             "rms_norm_eps": 1e-06, "max_position_embeddings": 163840, "tie_word_embeddings": false, "attention_bias": false,
             "attention_dropout": 0.0, "hidden_act": "silu", "bos_token_id": 100000, "eos_token_id": 100001, "torch_dtype": "bfloat16"}
            """),
        // DeepSeek-V3 (also R1, Kimi K2's and Moonlight's layout): q_lora_rank 1536, 3 dense layers, 256 experts in 8 groups
        // (4 kept), top-8, sigmoid with the selection bias, 1 shared expert. The hub's weights are fp8; these are bf16.
        ["deepseek-v3"] = () => Config("""
            {"architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3", "hidden_size": 7168, "num_hidden_layers": 61,
             "num_attention_heads": 128, "num_key_value_heads": 128, "intermediate_size": 18432, "moe_intermediate_size": 2048,
             "n_routed_experts": 256, "n_shared_experts": 1, "num_experts_per_tok": 8, "first_k_dense_replace": 3, "moe_layer_freq": 1,
             "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128,
             "topk_method": "noaux_tc", "n_group": 8, "topk_group": 4, "norm_topk_prob": true, "routed_scaling_factor": 2.5,
             "scoring_func": "sigmoid", "ep_size": 1, "num_nextn_predict_layers": 1, "vocab_size": 129280, "rope_theta": 10000,
             "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 1.0, "mscale_all_dim": 1.0,
               "original_max_position_embeddings": 4096, "type": "yarn"},
             "rms_norm_eps": 1e-06, "max_position_embeddings": 163840, "tie_word_embeddings": false, "attention_bias": false,
             "attention_dropout": 0.0, "hidden_act": "silu", "bos_token_id": 0, "eos_token_id": 1, "torch_dtype": "bfloat16"}
            """),
        // GLM-4.5-Air: GQA 96 heads (8 KV) of 128 with q/k/v biases, half the head rotated, 1 dense layer, 128 experts
        // top-8 + 1 shared, sigmoid with the selection bias (one group). Its multi-token-prediction layer is not written.
        ["glm-4.5-air"] = () => Config("""
            {"architectures": ["Glm4MoeForCausalLM"], "model_type": "glm4_moe", "hidden_size": 4096, "num_hidden_layers": 46,
             "num_attention_heads": 96, "num_key_value_heads": 8, "head_dim": 128, "partial_rotary_factor": 0.5,
             "attention_bias": true, "use_qk_norm": false, "intermediate_size": 10944, "moe_intermediate_size": 1408,
             "n_routed_experts": 128, "n_shared_experts": 1, "num_experts_per_tok": 8, "first_k_dense_replace": 1,
             "n_group": 1, "topk_group": 1, "norm_topk_prob": true, "routed_scaling_factor": 1.0, "num_nextn_predict_layers": 1,
             "vocab_size": 151552, "rope_theta": 1000000, "rope_scaling": null, "rms_norm_eps": 1e-05,
             "max_position_embeddings": 131072, "tie_word_embeddings": false, "attention_dropout": 0.0, "hidden_act": "silu",
             "pad_token_id": 151329, "eos_token_id": [151329, 151336, 151338], "torch_dtype": "bfloat16"}
            """),
        // IBM granite-3.1-3b-a800m: 40 experts top-8 of width 512, tied embeddings, Granite's four multipliers.
        ["granite-moe"] = () => Config("""
            {"architectures": ["GraniteMoeForCausalLM"], "model_type": "granitemoe", "hidden_size": 1536, "num_hidden_layers": 32,
             "num_attention_heads": 24, "num_key_value_heads": 8, "intermediate_size": 512, "num_local_experts": 40,
             "num_experts_per_tok": 8, "vocab_size": 49155, "embedding_multiplier": 12.0, "attention_multiplier": 0.015625,
             "residual_multiplier": 0.22, "logits_scaling": 6.0, "rope_theta": 10000000.0, "rope_scaling": null,
             "rms_norm_eps": 1e-06, "max_position_embeddings": 131072, "tie_word_embeddings": true, "attention_bias": false,
             "attention_dropout": 0.1, "hidden_act": "silu", "output_router_logits": false, "router_aux_loss_coef": 0.001,
             "bos_token_id": 0, "eos_token_id": 0, "pad_token_id": 0, "torch_dtype": "bfloat16"}
            """),
        // Llama 4 Scout (17B active, 16 experts): the text part of the hub's Llama4ForConditionalGeneration config (the
        // vision tower is neither configured nor written: the engine runs the language model only); 48 MoE layers, top-1 + 1
        // shared expert, every 4th layer NoPE with temperature tuning, the others chunked (8192) with rope and the q/k L2 norm.
        ["llama4-scout"] = () => Config("""
            {"architectures": ["Llama4ForConditionalGeneration"], "model_type": "llama4", "boi_token_index": 200080,
             "eoi_token_index": 200081, "image_token_index": 200092, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
             "text_config": {"model_type": "llama4_text", "hidden_size": 5120, "num_hidden_layers": 48, "num_attention_heads": 40,
               "num_key_value_heads": 8, "head_dim": 128, "intermediate_size": 8192, "intermediate_size_mlp": 16384,
               "num_local_experts": 16, "num_experts_per_tok": 1, "interleave_moe_layer_step": 1, "no_rope_layers": [],
               "attention_chunk_size": 8192, "attn_temperature_tuning": true, "floor_scale": 8192, "attn_scale": 0.1,
               "use_qk_norm": true, "attention_bias": false, "vocab_size": 202048, "rope_theta": 500000.0,
               "rope_scaling": {"factor": 16.0, "high_freq_factor": 1.0, "low_freq_factor": 1.0,
                 "original_max_position_embeddings": 8192, "rope_type": "llama3"},
               "rms_norm_eps": 1e-05, "max_position_embeddings": 10485760, "tie_word_embeddings": false, "hidden_act": "silu",
               "attention_dropout": 0.0, "router_aux_loss_coef": 0.001, "router_jitter_noise": 0.0, "output_router_logits": false,
               "bos_token_id": 200000, "eos_token_id": [200001, 200007, 200008], "pad_token_id": 200018, "torch_dtype": "bfloat16"}}
            """),
        // Llama-3.2-1B's shape, which Llama-Guard-3-1B is fine-tuned from: dense, tied lm_head, llama3 rope.
        ["llama-guard-3-1b"] = LlamaGuard3OneB,
        // The same config.json fields at toy widths (2 layers, H 64, 4 heads of 16, 2 KV heads, I 96, V 320): a dense
        // Llama judge that make-random writes in a blink, for tests and dry runs of the judge path.
        ["llama-guard-3-1b-tiny"] = () =>
        {
            var c = LlamaGuard3OneB();
            c["hidden_size"] = 64; c["num_hidden_layers"] = 2; c["num_attention_heads"] = 4; c["num_key_value_heads"] = 2;
            c["head_dim"] = 16; c["intermediate_size"] = 96; c["vocab_size"] = 320;
            c["bos_token_id"] = 1; c["eos_token_id"] = new JsonArray(2, 3);
            return c;
        },
    };

    private static JsonObject LlamaGuard3OneB() => Config("""
        {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 2048, "num_hidden_layers": 16,
         "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64, "intermediate_size": 8192,
         "vocab_size": 128256, "rope_theta": 500000.0, "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0,
         "low_freq_factor": 1.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"},
         "rms_norm_eps": 1e-05, "max_position_embeddings": 131072, "tie_word_embeddings": true, "attention_bias": false,
         "attention_dropout": 0.0, "mlp_bias": false, "pretraining_tp": 1, "hidden_act": "silu",
         "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "torch_dtype": "bfloat16"}
        """);

    private static JsonObject Config(string json) => JsonNode.Parse(json)!.AsObject();

    /// <summary>
    /// Writes <c>config.json</c> and <c>model.safetensors</c> for a preset into <paramref name="directory"/>;
    /// <paramref name="layers"/> (when given) keeps only the first L decoder layers. Returns the config used.
    /// </summary>
    public static ModelConfig Write(string preset, string directory, int? layers = null, int seed = 0, Action<long, long>? progress = null)
    {
        if (!Presets.TryGetValue(preset, out var make))
            throw new ArgumentException($"--like: '{preset}' is not a known model; expected one of {string.Join(", ", Presets.Keys)}.");
        return Write(make(), directory, layers, seed, progress);
    }

    /// <summary>Writes a random checkpoint for any supported hub-style config (see <see cref="Write(string, string, int?, int, Action{long, long}?)"/>);
    /// <paramref name="progress"/> is told (bytes written, bytes in all) after each tensor.</summary>
    public static ModelConfig Write(JsonObject config, string directory, int? layers = null, int seed = 0, Action<long, long>? progress = null)
    {
        if (layers is { } l)
        {
            if (l < 1) throw new ArgumentException($"--layers: expected at least 1, got {l}.");
            // a multimodal wrapper (Llama 4) keeps the language model's fields in text_config
            var text = config["text_config"] as JsonObject ?? config;
            text["num_hidden_layers"] = l;
            foreach (string list in new[] { "layer_types", "no_rope_layers" })
                if (text[list] is JsonArray items) text[list] = new JsonArray(items.Take(l).Select(t => t!.DeepClone()).ToArray());
            if (text["moe_layers"] is JsonArray moe) text["moe_layers"] = new JsonArray(moe.Where(x => (int)x! < l).Select(t => t!.DeepClone()).ToArray());
            if (text["max_window_layers"] is not null) text["max_window_layers"] = l;
        }
        Directory.CreateDirectory(directory);
        string configText = config.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var parsed = ModelConfig.Parse(configText, Path.Combine(directory, "config.json"));
        var tensors = new List<TensorToWrite>();
        int h = parsed.HiddenSize, v = parsed.VocabSize, q = parsed.HeadCount * parsed.HeadDim, kv = parsed.KeyValueHeadCount * parsed.HeadDim;
        int e = parsed.ExpertCount, inter = parsed.ExpertIntermediateSize;
        ulong stream = (ulong)seed * 0x9E3779B97F4A7C15UL + 1;
        TensorToWrite Random(string name, params long[] shape) => new(name, DType.BF16, shape, null, RandomBf16(shape.Aggregate(1L, (a, b) => a * b), stream++));
        TensorToWrite Ones(string name, long n) => new(name, DType.BF16, [n], Enumerable.Repeat(new byte[] { 0x80, 0x3F }, (int)n).SelectMany(x => x).ToArray());
        tensors.Add(Random("model.embed_tokens.weight", v, h));
        if (!parsed.TieWordEmbeddings) tensors.Add(Random("lm_head.weight", v, h));   // tied: the hub checkpoint has none
        tensors.Add(Ones("model.norm.weight", h));
        string arch = parsed.Architecture;
        for (int layer = 0; layer < parsed.LayerCount; layer++)
        {
            string p = $"model.layers.{layer}.";
            tensors.Add(Ones(p + "input_layernorm.weight", h));
            tensors.Add(Ones(p + "post_attention_layernorm.weight", h));
            if (arch is "Llama4ForConditionalGeneration" or "Llama4ForCausalLM")
            {
                AddLlama4Layer(tensors, Random, parsed, layer);
                continue;
            }
            if (parsed.LatentAttention is { } mla) AddLatentAttention(tensors, Random, Ones, p + "self_attn", parsed.HeadCount, h, mla);
            else
            {
                tensors.Add(Random(p + "self_attn.q_proj.weight", q, h));
                tensors.Add(Random(p + "self_attn.k_proj.weight", kv, h));
                tensors.Add(Random(p + "self_attn.v_proj.weight", kv, h));
                tensors.Add(Random(p + "self_attn.o_proj.weight", h, q));
            }
            if (arch == "Glm4MoeForCausalLM")
            {
                if (parsed.AttentionBias)
                    foreach (var (n, len) in new[] { ("q_proj", q), ("k_proj", kv), ("v_proj", kv) }) tensors.Add(Random(p + $"self_attn.{n}.bias", len));
                if (parsed.QkNorm) { tensors.Add(Ones(p + "self_attn.q_norm.weight", parsed.HeadDim)); tensors.Add(Ones(p + "self_attn.k_norm.weight", parsed.HeadDim)); }
            }
            if (!parsed.IsMoeLayer(layer))
            {
                int dense = parsed.DenseIntermediateSize;
                tensors.Add(Random(p + "mlp.gate_proj.weight", dense, h));
                tensors.Add(Random(p + "mlp.up_proj.weight", dense, h));
                tensors.Add(Random(p + "mlp.down_proj.weight", h, dense));
                continue;
            }
            switch (arch)
            {
                case "OlmoeForCausalLM":
                    tensors.Add(Ones(p + "self_attn.q_norm.weight", q));
                    tensors.Add(Ones(p + "self_attn.k_norm.weight", kv));
                    AddSwiGlu(tensors, Random, p + "mlp", e, h, inter, "gate_proj", "up_proj", "down_proj");
                    tensors.Add(Random(p + "mlp.gate.weight", e, h));
                    break;
                case "Qwen3MoeForCausalLM":
                    tensors.Add(Ones(p + "self_attn.q_norm.weight", parsed.HeadDim));
                    tensors.Add(Ones(p + "self_attn.k_norm.weight", parsed.HeadDim));
                    AddSwiGlu(tensors, Random, p + "mlp", e, h, inter, "gate_proj", "up_proj", "down_proj");
                    tensors.Add(Random(p + "mlp.gate.weight", e, h));
                    break;
                case "MixtralForCausalLM":
                    AddSwiGlu(tensors, Random, p + "block_sparse_moe", e, h, inter, "w1", "w3", "w2");
                    tensors.Add(Random(p + "block_sparse_moe.gate.weight", e, h));
                    break;
                case "LlamaForCausalLM":
                    if (parsed.AttentionBias)
                        foreach (var (n, len) in new[] { ("q_proj", q), ("k_proj", kv), ("v_proj", kv), ("o_proj", h) }) tensors.Add(Random(p + $"self_attn.{n}.bias", len));
                    tensors.Add(Random(p + "mlp.gate_proj.weight", inter, h));
                    tensors.Add(Random(p + "mlp.up_proj.weight", inter, h));
                    tensors.Add(Random(p + "mlp.down_proj.weight", h, inter));
                    break;
                case "GptOssForCausalLM":
                    foreach (var (n, len) in new[] { ("q_proj", q), ("k_proj", kv), ("v_proj", kv), ("o_proj", h) }) tensors.Add(Random(p + $"self_attn.{n}.bias", len));
                    tensors.Add(Random(p + "self_attn.sinks", parsed.HeadCount));
                    tensors.Add(Random(p + "mlp.router.weight", e, h));
                    tensors.Add(Random(p + "mlp.router.bias", e));
                    foreach (var (n, rows, cols) in new[] { ("gate_up_proj", 2 * inter, h), ("down_proj", h, inter) })
                    {
                        tensors.Add(new TensorToWrite(p + $"mlp.experts.{n}_blocks", DType.U8, [e, rows, cols / 32, 16], null, RandomBytes((long)e * rows * cols / 2, 0, 256, stream++)));
                        tensors.Add(new TensorToWrite(p + $"mlp.experts.{n}_scales", DType.U8, [e, rows, cols / 32], null, RandomBytes((long)e * rows * cols / 32, 118, 122, stream++)));
                        tensors.Add(Random(p + $"mlp.experts.{n}_bias", e, rows));
                    }
                    break;
                case "GraniteMoeForCausalLM":
                    if (parsed.AttentionBias)
                        foreach (var (n, len) in new[] { ("q_proj", q), ("k_proj", kv), ("v_proj", kv), ("o_proj", h) }) tensors.Add(Random(p + $"self_attn.{n}.bias", len));
                    tensors.Add(Random(p + "block_sparse_moe.router.layer.weight", e, h));
                    tensors.Add(Random(p + "block_sparse_moe.input_linear.weight", e, 2 * inter, h));
                    tensors.Add(Random(p + "block_sparse_moe.output_linear.weight", e, h, inter));
                    break;
                case "DeepseekV2ForCausalLM" or "DeepseekV3ForCausalLM" or "Glm4MoeForCausalLM":
                    AddSwiGlu(tensors, Random, p + "mlp", e, h, inter, "gate_proj", "up_proj", "down_proj");
                    tensors.Add(Random(p + "mlp.gate.weight", e, h));
                    if (arch != "DeepseekV2ForCausalLM") tensors.Add(Random(p + "mlp.gate.e_score_correction_bias", e));
                    if (parsed.SharedExpertIntermediateSize > 0)
                    {
                        int shared = parsed.SharedExpertIntermediateSize;
                        tensors.Add(Random(p + "mlp.shared_experts.gate_proj.weight", shared, h));
                        tensors.Add(Random(p + "mlp.shared_experts.up_proj.weight", shared, h));
                        tensors.Add(Random(p + "mlp.shared_experts.down_proj.weight", h, shared));
                    }
                    break;
                default:
                    throw new NotSupportedException($"make-random: {arch} has no random layout here; supported presets: {string.Join(", ", Presets.Keys)}.");
            }
        }
        // the hub's multimodal checkpoints store the language model under a prefix ("language_model.")
        string prefix = ArchitectureRegistry.Get(parsed).TensorPrefix;
        if (prefix.Length > 0) tensors = tensors.Select(t => t with { Name = prefix + t.Name }).ToList();
        File.WriteAllText(Path.Combine(directory, "config.json"), configText);
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" }, progress);
        return parsed;
    }

    /// <summary>
    /// A Llama 4 decoder layer's attention and feed-forward tensors: q/k/v/o (with biases under attention_bias), then the
    /// dense "feed_forward.{gate,up,down}_proj" or the MoE block's router, fused experts gate_up_proj [E, H, 2I] and
    /// down_proj [E, I, H], and the shared expert.
    /// </summary>
    private static void AddLlama4Layer(List<TensorToWrite> tensors, Func<string, long[], TensorToWrite> random, ModelConfig c, int layer)
    {
        string p = $"model.layers.{layer}.";
        int h = c.HiddenSize, q = c.HeadCount * c.HeadDim, kv = c.KeyValueHeadCount * c.HeadDim;
        foreach (var (n, rows, cols) in new[] { ("q_proj", q, h), ("k_proj", kv, h), ("v_proj", kv, h), ("o_proj", h, q) })
        {
            tensors.Add(random(p + $"self_attn.{n}.weight", [rows, cols]));
            if (c.AttentionBias) tensors.Add(random(p + $"self_attn.{n}.bias", [rows]));
        }
        string f = p + "feed_forward.";
        if (!c.IsMoeLayer(layer))
        {
            int dense = c.DenseIntermediateSize;
            tensors.Add(random(f + "gate_proj.weight", [dense, h]));
            tensors.Add(random(f + "up_proj.weight", [dense, h]));
            tensors.Add(random(f + "down_proj.weight", [h, dense]));
            return;
        }
        int e = c.ExpertCount, inter = c.ExpertIntermediateSize;
        tensors.Add(random(f + "router.weight", [e, h]));
        tensors.Add(random(f + "experts.gate_up_proj", [e, h, 2 * inter]));
        tensors.Add(random(f + "experts.down_proj", [e, inter, h]));
        tensors.Add(random(f + "shared_expert.gate_proj.weight", [inter, h]));
        tensors.Add(random(f + "shared_expert.up_proj.weight", [inter, h]));
        tensors.Add(random(f + "shared_expert.down_proj.weight", [h, inter]));
    }

    /// <summary>DeepSeek's latent attention tensors "{prefix}.q_proj" or "q_a_proj"/"q_a_layernorm"/"q_b_proj", "kv_a_proj_with_mqa", "kv_a_layernorm", "kv_b_proj", "o_proj".</summary>
    private static void AddLatentAttention(List<TensorToWrite> tensors, Func<string, long[], TensorToWrite> random, Func<string, long, TensorToWrite> ones,
        string prefix, int heads, int h, LatentAttentionShape m)
    {
        int qd = m.NopeHeadDim + m.RopeHeadDim;
        if (m.QLoraRank is { } rank)
        {
            tensors.Add(random(prefix + ".q_a_proj.weight", [rank, h]));
            tensors.Add(ones(prefix + ".q_a_layernorm.weight", rank));
            tensors.Add(random(prefix + ".q_b_proj.weight", [heads * qd, rank]));
        }
        else tensors.Add(random(prefix + ".q_proj.weight", [heads * qd, h]));
        tensors.Add(random(prefix + ".kv_a_proj_with_mqa.weight", [m.KvLoraRank + m.RopeHeadDim, h]));
        tensors.Add(ones(prefix + ".kv_a_layernorm.weight", m.KvLoraRank));
        tensors.Add(random(prefix + ".kv_b_proj.weight", [heads * (m.NopeHeadDim + m.ValueHeadDim), m.KvLoraRank]));
        tensors.Add(random(prefix + ".o_proj.weight", [h, heads * m.ValueHeadDim]));
    }

    private static void AddSwiGlu(List<TensorToWrite> tensors, Func<string, long[], TensorToWrite> random, string prefix, int experts, int h, int inter, string gate, string up, string down)
    {
        for (int x = 0; x < experts; x++)
        {
            tensors.Add(random($"{prefix}.experts.{x}.{gate}.weight", [inter, h]));
            tensors.Add(random($"{prefix}.experts.{x}.{up}.weight", [inter, h]));
            tensors.Add(random($"{prefix}.experts.{x}.{down}.weight", [h, inter]));
        }
    }

    /// <summary>Streams <paramref name="count"/> bf16 values uniform in ±0.02·√3 (std 0.02) from a seeded xorshift generator.</summary>
    private static Action<Stream> RandomBf16(long count, ulong seed) => stream =>
    {
        var buffer = new ushort[1 << 16];
        ulong state = Mix(seed);
        for (long done = 0; done < count; done += buffer.Length)
        {
            int n = (int)Math.Min(buffer.Length, count - done);
            for (int i = 0; i < n; i++)
            {
                float u = (float)((Next(ref state) >> 40) * (1.0 / (1UL << 24))) * 2f - 1f;   // [-1, 1)
                buffer[i] = (ushort)(BitConverter.SingleToUInt32Bits(u * 0.034641f) >> 16);
            }
            stream.Write(MemoryMarshal.AsBytes(buffer.AsSpan(0, n)));
        }
    };

    /// <summary>Streams <paramref name="count"/> bytes uniform in [lo, hi).</summary>
    private static Action<Stream> RandomBytes(long count, int lo, int hi, ulong seed) => stream =>
    {
        var buffer = new byte[1 << 16];
        ulong state = Mix(seed);
        for (long done = 0; done < count; done += buffer.Length)
        {
            int n = (int)Math.Min(buffer.Length, count - done);
            for (int i = 0; i < n; i++)
            {
                buffer[i] = (byte)(lo + (int)((Next(ref state) >> 32) % (ulong)(hi - lo)));
            }
            stream.Write(buffer, 0, n);
        }
    };

    /// <summary>xorshift64: advances the state and returns it.</summary>
    private static ulong Next(ref ulong state)
    {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17;
        return state;
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (z ^ (z >> 31)) | 1;
    }
}
