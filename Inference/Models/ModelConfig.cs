using System.Text.Json;
using SteerMoE.Research.Inference.Architectures;
using SteerMoE.Research.Inference.Files;

namespace SteerMoE.Research.Inference.Models;

/// <summary>
/// The shape and settings of a supported MoE model, read from its config.json. Common fields are read here;
/// each architecture (Inference/Architectures) reads its own names for the rest.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>The Hugging Face class name, e.g. "OlmoeForCausalLM".</summary>
    public required string Architecture { get; init; }
    /// <summary>The config's model_type (e.g. "olmoe"), when present.</summary>
    public string? ModelType { get; init; }
    /// <summary>Vocabulary size (V).</summary>
    public required int VocabSize { get; init; }
    /// <summary>Model width (H).</summary>
    public required int HiddenSize { get; init; }
    /// <summary>Decoder layers (L). Layer indices everywhere (counts, rankings, plans, figures) are decoder-layer indices.</summary>
    public required int LayerCount { get; init; }
    /// <summary>
    /// Decoder layers whose feed-forward block is a dense MLP, not an MoE block (DeepSeek's first_k_dense_replace
    /// leading layers, Llama 4's non-MoE layers); ascending. They have no router: no routing events, no rows in
    /// counts, rankings or figures, and a plan naming one is refused. Empty for the all-MoE architectures (and for
    /// dense Llama, whose MLP is one routed expert).
    /// </summary>
    public int[] DenseLayers { get; init; } = [];
    /// <summary>Intermediate size of the dense layers' MLP (0: no dense layers).</summary>
    public int DenseIntermediateSize { get; init; }
    /// <summary>Multi-head latent attention shapes (DeepSeek-V2/V3), or null for standard attention.</summary>
    public LatentAttentionShape? LatentAttention { get; init; }
    /// <summary>Query heads.</summary>
    public required int HeadCount { get; init; }
    /// <summary>Key/value heads.</summary>
    public required int KeyValueHeadCount { get; init; }
    /// <summary>Dimension per head.</summary>
    public required int HeadDim { get; init; }
    /// <summary>Experts per MoE layer (E).</summary>
    public int ExpertCount { get; init; }
    /// <summary>Experts routed per token (k).</summary>
    public required int TopK { get; init; }
    /// <summary>Intermediate size of one expert.</summary>
    public int ExpertIntermediateSize { get; init; }
    /// <summary>Intermediate size of the shared expert (0: none).</summary>
    public int SharedExpertIntermediateSize { get; init; }
    /// <summary>Renormalise the top-k probabilities to sum 1.</summary>
    public bool NormTopKProb { get; init; }
    /// <summary>routed_scaling_factor: the routed experts' weights are multiplied by it (DeepSeek; 1 elsewhere).</summary>
    public double RoutedScalingFactor { get; init; } = 1.0;
    /// <summary>n_group: the experts form this many equal groups for group-limited routing (1: no groups).</summary>
    public int ExpertGroups { get; init; } = 1;
    /// <summary>topk_group: groups kept per token before the top-k (group-limited routing).</summary>
    public int KeptExpertGroups { get; init; } = 1;
    /// <summary>Norm epsilon.</summary>
    public required double NormEps { get; init; }
    /// <summary>max_position_embeddings.</summary>
    public required int MaxPositions { get; init; }
    /// <summary>Rotary settings.</summary>
    public required RopeSettings Rope { get; init; }
    /// <summary>lm_head shares the embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Sliding window per layer (0: full attention), length LayerCount.</summary>
    public int[] SlidingWindows { get; init; } = [];
    /// <summary>q/k/v (and for gpt-oss o) projections have biases.</summary>
    public bool AttentionBias { get; init; }
    /// <summary>Rotated dimensions per head, from the start of the head (GLM-4.5: partial_rotary_factor × head_dim); 0: all of <see cref="HeadDim"/>.</summary>
    public int RotaryDims { get; init; }
    /// <summary>use_qk_norm: GLM-4.5's per-head q/k RMSNorms before the rotary; Llama 4's weightless per-head L2 norm of q
    /// and k after the rotary, on its rope layers only (OLMoE and Qwen3 build theirs unconditionally).</summary>
    public bool QkNorm { get; init; }
    /// <summary>
    /// Decoder layers without rotary position embedding (Llama 4's NoPE layers: no_rope_layers[l] = 0, by default every
    /// no_rope_layer_interval-th layer), ascending; empty for the other architectures.
    /// </summary>
    public int[] NoRopeLayers { get; init; } = [];
    /// <summary>
    /// Chunked attention per layer (Llama 4's attention_chunk_size on its chunked_attention layers): a token attends to the
    /// tokens of its own chunk of that many positions up to itself; 0: not chunked. Length LayerCount, or empty (none).
    /// </summary>
    public int[] AttentionChunks { get; init; } = [];
    /// <summary>Llama 4's attention temperature tuning of the NoPE layers' queries (attn_temperature_tuning, floor_scale,
    /// attn_scale), or null.</summary>
    public Layers.QueryTemperature? AttentionTemperature { get; init; }
    /// <summary>The token embeddings are multiplied by it (Granite's embedding_multiplier; 1 elsewhere).</summary>
    public double EmbeddingMultiplier { get; init; } = 1.0;
    /// <summary>Each block's output is multiplied by it before it joins the residual stream (Granite's residual_multiplier).</summary>
    public double ResidualMultiplier { get; init; } = 1.0;
    /// <summary>The logits are divided by it (Granite's logits_scaling).</summary>
    public double LogitsScaling { get; init; } = 1.0;
    /// <summary>The attention softmax scale, replacing 1/√head_dim (Granite's attention_multiplier), or null.</summary>
    public double? AttentionMultiplier { get; init; }
    /// <summary>Phi-3.5 sparsemixer ε (router_jitter_noise).</summary>
    public double RouterJitter { get; init; }
    /// <summary>quantization_config.quant_method (e.g. "mxfp4"), or null.</summary>
    public string? QuantizationMethod { get; init; }
    /// <summary>End-of-sequence token ids from config.json (may be empty).</summary>
    public int[] EosTokenIds { get; init; } = [];
    /// <summary>The beginning-of-sequence token id from config.json, or null.</summary>
    public int? BosTokenId { get; init; }
    /// <summary>The file it was read from.</summary>
    public string Source { get; init; } = "config.json";
    /// <summary>
    /// Top-level fields of the file that the architecture does not read and that are not known to leave inference
    /// unchanged (<see cref="ConfigReader.NotUsedAtInference"/>); config.json is open by design, so they are warnings
    /// (<see cref="Warnings"/>), not errors.
    /// </summary>
    public IReadOnlyList<string> UnreadFields { get; init; } = [];

    /// <summary>Whether decoder layer <paramref name="layer"/> has an MoE block (not one of <see cref="DenseLayers"/>).</summary>
    public bool IsMoeLayer(int layer) => layer >= 0 && layer < LayerCount && Array.BinarySearch(DenseLayers, layer) < 0;

    /// <summary>The decoder-layer indices of the MoE layers, ascending.</summary>
    public int[] MoeLayers => Enumerable.Range(0, LayerCount).Where(IsMoeLayer).ToArray();

    /// <summary>Floats the KV cache keeps per token and layer for keys and for values (MLA: the compressed latent and
    /// the rotated key part as one key row, no value row).</summary>
    public (int Key, int Value) CacheWidths => LatentAttention is { } m ? (m.KvLoraRank + m.RopeHeadDim, 0) : (KeyValueHeadCount * HeadDim, KeyValueHeadCount * HeadDim);

    /// <summary>One line per unread field: "FILE: field 'x' is not read by ARCH ...".</summary>
    public IReadOnlyList<string> Warnings => UnreadFields
        .Select(f => $"{Source}: field '{f}' is not read by this project's {Architecture}; if it changes the forward pass, outputs will differ from the reference implementation.")
        .ToList();

    private static readonly HashSet<string> Reported = new(StringComparer.Ordinal);

    /// <summary>
    /// Writes each of <paramref name="config"/>'s <see cref="Warnings"/> to standard error as "warning: ..." once per
    /// process (a run loads the same model many times); runs also record them (run.json, inputs.json).
    /// </summary>
    public static void ReportWarnings(ModelConfig config)
    {
        foreach (string w in config.Warnings)
            lock (Reported)
                if (Reported.Add(w)) Console.Error.WriteLine("warning: " + w);
    }

    /// <summary>Reads <c>DIR/config.json</c>.</summary>
    public static ModelConfig Load(string directory)
    {
        string path = Path.Combine(directory, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: config.json not found in the model folder.", path);
        return Parse(StrictUtf8.ReadFile(path), path);
    }

    /// <summary>Parses config.json text; <paramref name="source"/> names the file in errors.</summary>
    public static ModelConfig Parse(string json, string source)
    {
        using (var doc = StrictJson.Parse(json, source))
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new FormatException($"{source}: expected a JSON object.");
            var top = new ConfigReader(doc.RootElement, source);
            var names = top.Strings("architectures") ?? throw new FormatException($"{source}: field 'architectures' is missing; expected one of {string.Join(", ", ArchitectureRegistry.Names)}.");
            var arch = names.Select(ArchitectureRegistry.Find).FirstOrDefault(a => a is not null)
                ?? throw new NotSupportedException($"{source}: field 'architectures': {string.Join(", ", names)} is not supported; supported: {string.Join(", ", ArchitectureRegistry.Names)}.");
            // A model_type that belongs to another architecture means a mixed-up config.json (transformers would build the other model).
            if (top.String("model_type") is { } modelType && modelType != arch.ModelType)
                throw new FormatException($"{source}: field 'model_type': '{modelType}' does not match architectures {arch.Name}; expected '{arch.ModelType}'.");
            // A multimodal wrapper keeps the language model's fields in one object; everything else at the top level
            // (the vision tower's config, image token ids) belongs to parts this engine does not run.
            var r = top;
            if (arch.TextConfigField is { } textField)
            {
                r = top.Object(textField) ?? throw new FormatException($"{source}: field '{textField}' is missing; {arch.Name} keeps the language model's config there.");
                r.Ignore("model_type", "architectures");   // the text part's own model_type (e.g. llama4_text) names the same model
                top.IgnoreAllOthers();
            }
            // Every supported architecture's MLPs are SiLU-gated (gpt-oss's clamped SwiGLU is its own and ignores the field).
            if (r.String("hidden_act") is { } act && act != "silu")
                throw new NotSupportedException($"{source}: field 'hidden_act': '{act}' is not supported; expected silu.");
            int hidden = r.Int("hidden_size"), heads = r.Int("num_attention_heads"), layers = r.Int("num_hidden_layers");
            int[] eosList = [];
            if (r.Raw("eos_token_id") is { } eosValue)
                eosList = eosValue.ValueKind == JsonValueKind.Array && eosValue.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out _))
                    ? eosValue.EnumerateArray().Select(x => x.GetInt32()).ToArray()
                    : eosValue.ValueKind == JsonValueKind.Number && eosValue.TryGetInt32(out int one) ? [one]
                    : throw new FormatException($"{source}: field 'eos_token_id': expected a token id or a list of them, got {eosValue.GetRawText()}.");
            var common = new ModelConfig
            {
                Architecture = arch.Name,
                ModelType = r.String("model_type"),
                VocabSize = r.Int("vocab_size"),
                HiddenSize = hidden,
                LayerCount = layers,
                HeadCount = heads,
                KeyValueHeadCount = r.OptionalInt("num_key_value_heads", false) ?? heads,
                HeadDim = r.OptionalInt("head_dim", false) ?? hidden / heads,
                TopK = r.OptionalInt("num_experts_per_tok", false) ?? 0,   // required below unless the architecture sets it (dense Llama: 1)
                NormEps = r.Double("rms_norm_eps"),
                MaxPositions = r.Int("max_position_embeddings"),
                Rope = RopeSettings.Read(r),
                TieWordEmbeddings = r.Bool("tie_word_embeddings", false),
                SlidingWindows = new int[layers],
                QuantizationMethod = r.Object("quantization_config")?.String("quant_method"),
                EosTokenIds = eosList,
                BosTokenId = r.OptionalInt("bos_token_id"),
                Source = source,
            };
            var config = arch.ReadConfig(r, common);
            if (config.TopK == 0) throw new FormatException($"{source}: field 'num_experts_per_tok' is missing; expected an integer.");
            if (config.TopK > config.ExpertCount) throw new FormatException($"{source}: field 'num_experts_per_tok' = {config.TopK} exceeds the {config.ExpertCount} experts.");
            if (config.HeadCount % config.KeyValueHeadCount != 0) throw new FormatException($"{source}: field 'num_key_value_heads' = {config.KeyValueHeadCount} does not divide num_attention_heads = {config.HeadCount}.");
            return config with { UnreadFields = r == top ? r.Unread() : [.. top.Unread(), .. r.Unread().Select(f => $"{arch.TextConfigField}.{f}")] };
        }
    }

    /// <summary>Sliding windows from <c>layer_types</c> (entries "sliding_attention" get <paramref name="window"/>) or, without it, for every layer.</summary>
    internal static int[] WindowsFromLayerTypes(ConfigReader r, int layers, int window)
    {
        var types = r.Strings("layer_types");
        var result = new int[layers];
        if (types is null) { Array.Fill(result, window); return result; }
        if (types.Count != layers) throw new FormatException($"{r.Source}: field 'layer_types' has {types.Count} entries, expected num_hidden_layers = {layers}.");
        for (int l = 0; l < layers; l++)
            result[l] = types[l] switch
            {
                "sliding_attention" => window,
                "full_attention" => 0,
                _ => throw new FormatException($"{r.Source}: field 'layer_types'[{l}]: '{types[l]}', expected sliding_attention or full_attention."),
            };
        return result;
    }
}

/// <summary>
/// The shapes of multi-head latent attention (DeepSeek-V2/V3 config fields): queries directly (q_lora_rank null) or
/// through a rank-<see cref="QLoraRank"/> bottleneck; keys and values from a shared compressed latent of
/// <see cref="KvLoraRank"/> plus one rotated key part of <see cref="RopeHeadDim"/> shared by all heads.
/// </summary>
/// <param name="QLoraRank">q_lora_rank (null: q_proj straight from the hidden state).</param>
/// <param name="KvLoraRank">kv_lora_rank: the compressed latent cached per token.</param>
/// <param name="NopeHeadDim">qk_nope_head_dim: the per-head key/query part without rotary.</param>
/// <param name="RopeHeadDim">qk_rope_head_dim: the rotated part (shared key, per-head query).</param>
/// <param name="ValueHeadDim">v_head_dim.</param>
public sealed record LatentAttentionShape(int? QLoraRank, int KvLoraRank, int NopeHeadDim, int RopeHeadDim, int ValueHeadDim);
