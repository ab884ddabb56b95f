using SteerMoE.Research.Inference.Architectures;
using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Kernels;
using SteerMoE.Research.Inference.Layers;
using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Inference.Models;

/// <summary>Options of <see cref="MoeModel.Load"/>.</summary>
public sealed record LoadOptions
{
    /// <summary>
    /// How gpt-oss experts compute: fp32 (default) or transformers' bf16 sequence for dequantised MXFP4 experts
    /// (docs/CONTRACTS.md, "Precision modes"). Other architectures accept only fp32.
    /// </summary>
    public ExpertArithmetic ExpertArithmetic { get; init; } = ExpertArithmetic.Fp32;

    /// <summary>
    /// Keep BF16 projections in the interleaved decode layout (<see cref="WeightMatrix.Interleaved"/>; results are
    /// bit-identical, decode streams the weights faster, loading copies them once). Null (default): the environment
    /// variable STEERMOE_WEIGHT_LAYOUT (`interleaved` or `stored`) when set, else interleaved.
    /// </summary>
    public bool? InterleaveWeights { get; init; }

    /// <summary>What <see cref="InterleaveWeights"/> resolves to in this process.</summary>
    internal bool ResolveInterleave() => ResolveInterleave(InterleaveWeights, Environment.GetEnvironmentVariable("STEERMOE_WEIGHT_LAYOUT"));

    /// <summary>The option, else the environment variable's value, else interleaved.</summary>
    internal static bool ResolveInterleave(bool? option, string? environment) => option ?? environment switch
    {
        null or "" => true,
        "interleaved" => true,
        "stored" => false,
        var other => throw new ArgumentException($"STEERMOE_WEIGHT_LAYOUT: expected 'interleaved' or 'stored', got '{other}'."),
    };

    /// <summary>
    /// How multi-head latent attention (DeepSeek) computes from its compressed cache: decompressed (default, transformers'
    /// formula) or with absorbed weights (docs/CONTRACTS.md §9). Other architectures ignore it.
    /// </summary>
    public LatentAttentionPath LatentAttention { get; init; } = LatentAttentionPath.Decompressed;
}

/// <summary>Options of one forward pass.</summary>
public sealed record ForwardOptions
{
    /// <summary>Numeric mode (docs/CONTRACTS.md §2).</summary>
    public Precision Precision { get; init; } = Precision.Exact;
    /// <summary>Router rewrite hook (e.g. <see cref="SteeringRewrite"/>), or null.</summary>
    public IRouterRewrite? Rewrite { get; init; }
    /// <summary>Routing observer, or null.</summary>
    public IRoutingObserver? Observer { get; init; }
    /// <summary>Compute logits for every token (else only for the last token of each sequence).</summary>
    public bool ReturnLogits { get; init; }
}

/// <summary>What a forward pass returns.</summary>
public sealed class ForwardResult
{
    internal ForwardResult(float[]? logits, float[] lastLogits, TokenLayout layout, int vocab)
    {
        Logits = logits; LastLogits = lastLogits; Layout = layout; VocabSize = vocab;
    }

    /// <summary>[N, V] logits of every new token (rows as in <see cref="Layout"/>), when requested; else null.</summary>
    public float[]? Logits { get; }
    /// <summary>[B, V] logits of the last new token of each sequence (zeros for a sequence without new tokens).</summary>
    public float[] LastLogits { get; }
    /// <summary>Sequence and position of every row.</summary>
    public TokenLayout Layout { get; }
    /// <summary>V.</summary>
    public int VocabSize { get; }
}

/// <summary>
/// A loaded MoE checkpoint ready to run on the CPU: config, memory-mapped weights in their stored dtype, the
/// decoder built by its architecture. Forward passes take a batch of token-id sequences of any lengths and,
/// optionally, a <see cref="KvCache"/> to continue from.
/// </summary>
public sealed class MoeModel : IMoeEngine
{
    private readonly Checkpoint _weights;
    private readonly WeightMatrix _embedding;   // [V, H]
    private readonly DecoderLayer[] _layers;
    private readonly INorm _finalNorm;
    private readonly Linear _lmHead;            // [V, H]

    private MoeModel(string directory, ModelConfig config, Checkpoint weights, WeightMatrix embedding, DecoderLayer[] layers, INorm finalNorm, Linear lmHead)
    {
        Directory = directory; Config = config; _weights = weights; _embedding = embedding; _layers = layers; _finalNorm = finalNorm; _lmHead = lmHead;
    }

    /// <summary>The model folder.</summary>
    public string Directory { get; }
    /// <summary>The parsed config.json.</summary>
    public ModelConfig Config { get; }
    /// <summary>The mapped checkpoint.</summary>
    public Checkpoint Weights => _weights;
    /// <summary>The decoder layers.</summary>
    public IReadOnlyList<DecoderLayer> Layers => _layers;
    /// <summary>How the experts compute (<see cref="LoadOptions.ExpertArithmetic"/>).</summary>
    public ExpertArithmetic ExpertArithmetic { get; private init; }

    internal WeightMatrix Embedding => _embedding;   // read by the CUDA backend's upload
    internal INorm FinalNorm => _finalNorm;
    internal Linear LmHead => _lmHead;

    /// <summary>Loads a model folder (config.json + safetensors). Errors name the file and what is wrong.</summary>
    public static MoeModel Load(string directory, LoadOptions? options = null)
    {
        var config = ModelConfig.Load(directory);
        ModelConfig.ReportWarnings(config);
        var architecture = ArchitectureRegistry.Get(config);
        var weights = Checkpoint.Open(directory, architecture.TensorPrefix, interleaveBf16: (options ?? new LoadOptions()).ResolveInterleave());
        try
        {
            // An untied embedding is read a row per token: it keeps the stored layout.
            bool tied = config.TieWordEmbeddings && !weights.Contains("lm_head.weight");
            var embedding = weights.Matrix("model.embed_tokens.weight", config.VocabSize, config.HiddenSize, decodeLayout: tied);
            var layers = new DecoderLayer[config.LayerCount];
            for (int l = 0; l < layers.Length; l++) layers[l] = WithLatentPath(WithExpertArithmetic(architecture.BuildLayer(l, config, weights), options, config), options);
            var norm = architecture.BuildNorm("model.norm", config, weights);
            // tie_word_embeddings (Llama-3.2-1B, Llama-Guard-3-1B): the checkpoint has no lm_head.weight and the output
            // projection is embed_tokens [V, H] itself; a stored lm_head.weight is used when present.
            if (!config.TieWordEmbeddings && !weights.Contains("lm_head.weight"))
                throw new InvalidDataException($"{string.Join(", ", weights.Files.Select(f => f.Path))}: tensor 'lm_head.weight' is missing, "
                    + $"and {config.Source} has tie_word_embeddings false; expected lm_head.weight [{config.VocabSize}, {config.HiddenSize}], or tie_word_embeddings true to use model.embed_tokens.weight.");
            var head = tied
                ? new Linear(embedding)
                : new Linear(weights.Matrix("lm_head.weight", config.VocabSize, config.HiddenSize),
                    weights.Contains("lm_head.bias") ? weights.Floats("lm_head.bias", config.VocabSize) : null);
            if (weights.InterleavedByteCount > 0) weights.ReleaseMappedPages();
            return new MoeModel(directory, config, weights, embedding, layers, norm, head) { ExpertArithmetic = options?.ExpertArithmetic ?? ExpertArithmetic.Fp32 };
        }
        catch { weights.Dispose(); throw; }
    }

    /// <summary>The layer with its experts in the requested arithmetic (only gpt-oss experts have a bf16 one).</summary>
    private static DecoderLayer WithExpertArithmetic(DecoderLayer layer, LoadOptions? options, ModelConfig config)
    {
        var arithmetic = options?.ExpertArithmetic ?? ExpertArithmetic.Fp32;
        if (arithmetic == ExpertArithmetic.Fp32) return layer;
        if (layer.Moe?.Experts is not ClampedSwiGluExperts experts)
            throw new NotSupportedException($"{config.Source}: expert arithmetic '{arithmetic.Name()}' is implemented for gpt-oss experts only; {config.Architecture} runs its experts in fp32.");
        var moe = layer.Moe!;
        return new DecoderLayer(layer.AttentionNorm, layer.Attention, layer.MoeNorm,
            new MoeBlock(moe.Router, moe.Routing, experts.WithArithmetic(arithmetic), moe.Shared));
    }

    /// <summary>The layer with its latent attention computing by the requested path.</summary>
    private static DecoderLayer WithLatentPath(DecoderLayer layer, LoadOptions? options)
    {
        var path = options?.LatentAttention ?? LatentAttentionPath.Decompressed;
        if (layer.Attention is not LatentAttention latent || latent.Path == path) return layer;
        return layer.Moe is { } moe ? new DecoderLayer(layer.AttentionNorm, latent.WithPath(path), layer.MoeNorm, moe)
            : new DecoderLayer(layer.AttentionNorm, latent.WithPath(path), layer.MoeNorm, layer.DenseMlp!);
    }

    /// <summary>An empty KV cache for <paramref name="sequences"/> batch rows.</summary>
    public KvCache CreateCache(int sequences) => new(Config.LayerCount, sequences, Config.CacheWidths.Key, Config.CacheWidths.Value);

    /// <summary>"CPU" (the engine's <see cref="IMoeEngine.Description"/>).</summary>
    public string Description => "CPU";

    IKvCache IMoeEngine.CreateCache(int sequences) => CreateCache(sequences);

    ForwardResult IMoeEngine.Forward(IReadOnlyList<IReadOnlyList<int>> sequences, ForwardOptions? options, IKvCache? cache) => cache switch
    {
        null => Forward(sequences, options),
        KvCache host => Forward(sequences, options, host),
        _ => throw new ArgumentException($"Forward: the CPU engine was given a {cache.GetType().Name}; it takes only a KvCache made by its CreateCache."),
    };

    /// <summary>
    /// Runs new tokens through the model. <paramref name="sequences"/>[b] are the new ids of batch row b
    /// (lengths may differ, even be 0 with a cache); with <paramref name="cache"/> they continue the cached
    /// tokens and are appended to it; without, a fresh cache is used and discarded.
    /// </summary>
    public ForwardResult Forward(IReadOnlyList<IReadOnlyList<int>> sequences, ForwardOptions? options = null, KvCache? cache = null)
    {
        options ??= new ForwardOptions();
        cache ??= CreateCache(sequences.Count);
        if (cache.SequenceCount != sequences.Count) throw new ArgumentException($"Forward: the cache holds {cache.SequenceCount} sequences, the batch has {sequences.Count}.");
        var lengths = sequences.Select(s => s.Count).ToArray();
        var layout = new TokenLayout(lengths, cache.Lengths);
        int n = layout.Count, hidden = Config.HiddenSize, vocab = Config.VocabSize;
        var x = new float[n * hidden];       // [N, H] residual stream
        var normed = new float[n * hidden];  // [N, H]
        var block = new float[n * hidden];   // [N, H]
        int row = 0;
        foreach (var seq in sequences)
            foreach (int id in seq)
            {
                if ((uint)id >= (uint)vocab) throw new ArgumentException($"Forward: token id {id} is outside the vocabulary 0..{vocab - 1}.");
                MatMul.WidenRow(_embedding, id, x.AsSpan(row++ * hidden, hidden));
            }
        // Granite's multipliers (1 elsewhere, and then no operation at all: the other architectures' bits are untouched)
        float embeddingScale = (float)Config.EmbeddingMultiplier, residualScale = (float)Config.ResidualMultiplier;
        if (embeddingScale != 1f) for (int i = 0; i < x.Length; i++) x[i] *= embeddingScale;
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            layer.AttentionNorm.Apply(x, normed);
            layer.Attention.Forward(normed, block, layout, cache, l, options.Precision);
            AddResidual(x, block, residualScale);
            layer.MoeNorm.Apply(x, normed);
            layer.FeedForward(normed, block, layout, l, options.Rewrite, options.Observer, options.Precision);
            AddResidual(x, block, residualScale);
        }
        cache.Advance(lengths);
        _finalNorm.Apply(x, normed);
        float[]? logits = null;
        float scaleLast = 1f;                             // the logits divisor still to apply to the last rows
        var last = new float[sequences.Count * vocab];   // [B, V]
        if (options.ReturnLogits)
        {
            logits = new float[(long)n * vocab];
            _lmHead.Apply(normed, logits, n, options.Precision);
        }
        if (Config.LogitsScaling != 1)
        {
            float divisor = (float)Config.LogitsScaling;
            if (logits is not null) for (long i = 0; i < logits.LongLength; i++) logits[i] /= divisor;
            else scaleLast = divisor;
        }
        var lastRows = layout.LastRows;
        if (logits is not null)
            foreach (var (s, r) in lastRows) logits.AsSpan(r * vocab, vocab).CopyTo(last.AsSpan(s * vocab));
        else if (lastRows.Count > 0)
        {
            var gathered = new float[lastRows.Count * hidden];
            var output = new float[lastRows.Count * vocab];
            for (int i = 0; i < lastRows.Count; i++) normed.AsSpan(lastRows[i].Row * hidden, hidden).CopyTo(gathered.AsSpan(i * hidden));
            _lmHead.Apply(gathered, output, lastRows.Count, options.Precision);
            if (scaleLast != 1f) for (int i = 0; i < output.Length; i++) output[i] /= scaleLast;
            for (int i = 0; i < lastRows.Count; i++) output.AsSpan(i * vocab, vocab).CopyTo(last.AsSpan(lastRows[i].Sequence * vocab));
        }
        return new ForwardResult(logits, last, layout, vocab);
    }

    /// <summary>x += block · scale (scale 1: a plain sum).</summary>
    private static void AddResidual(float[] x, float[] block, float scale)
    {
        if (scale == 1f) for (int i = 0; i < x.Length; i++) x[i] += block[i];
        else for (int i = 0; i < x.Length; i++) x[i] += block[i] * scale;
    }

    /// <summary>
    /// Continues <paramref name="prompt"/> by <paramref name="options"/>.MaxNewTokens tokens with the KV cache:
    /// greedy (argmax, lowest id on ties) at temperature 0, else seeded sampling with temperature and top-p.
    /// Returns prompt + generated ids; stops early at a stop token (included).
    /// </summary>
    public int[] Generate(IReadOnlyList<int> prompt, GenerationOptions options) => Sampling.Generate(this, prompt, options);

    /// <summary>Unmaps the checkpoint; the model must not be used afterwards.</summary>
    public void Dispose() => _weights.Dispose();
}

/// <summary>Options of <see cref="MoeModel.Generate"/>.</summary>
public sealed record GenerationOptions
{
    /// <summary>New tokens to generate at most.</summary>
    public int MaxNewTokens { get; init; } = 16;
    /// <summary>0: greedy; &gt; 0: sample from softmax(logits / T).</summary>
    public double Temperature { get; init; }
    /// <summary>Nucleus sampling mass (1: off).</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Sampling seed.</summary>
    public int Seed { get; init; }
    /// <summary>Token ids that end generation.</summary>
    public IReadOnlySet<int> StopTokens { get; init; } = new HashSet<int>();
    /// <summary>Numeric mode.</summary>
    public Precision Precision { get; init; } = Precision.Exact;
    /// <summary>Router rewrite (steering), or null.</summary>
    public IRouterRewrite? Rewrite { get; init; }
    /// <summary>Routing observer, or null.</summary>
    public IRoutingObserver? Observer { get; init; }
}

/// <summary>Next-token choice from a logits row, and the generation loop every engine shares.</summary>
public static class Sampling
{
    /// <summary>
    /// The generation loop of <see cref="IMoeEngine.Generate"/>: one prefill of <paramref name="prompt"/>, then one
    /// cached decode step per new token, each chosen by <see cref="Next"/>. Returns prompt + generated ids; stops
    /// early at a stop token (included).
    /// </summary>
    public static int[] Generate(IMoeEngine engine, IReadOnlyList<int> prompt, GenerationOptions options)
    {
        if (prompt.Count == 0) throw new ArgumentException("Generate: the prompt is empty.");
        var forward = new ForwardOptions { Precision = options.Precision, Rewrite = options.Rewrite, Observer = options.Observer };
        using var cache = engine.CreateCache(1);
        var tokens = new List<int>(prompt);
        var random = new Random(options.Seed);
        var result = engine.Forward([prompt], forward, cache);
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            int next = Next(result.LastLogits, options.Temperature, options.TopP, random);
            tokens.Add(next);
            if (options.StopTokens.Contains(next) || step == options.MaxNewTokens - 1) break;
            result = engine.Forward([new[] { next }], forward, cache);
        }
        return tokens.ToArray();
    }

    /// <summary>Greedy (temperature 0) or temperature / top-p sampling from logits [V].</summary>
    public static int Next(ReadOnlySpan<float> logits, double temperature, double topP, Random random)
    {
        if (temperature <= 0)
        {
            int best = 0;
            for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
            return best;
        }
        if (!(topP > 0 && topP <= 1)) throw new ArgumentException($"top-p: expected a value in (0, 1], got {topP}.");
        var p = new double[logits.Length];
        double max = double.NegativeInfinity;
        foreach (float v in logits) max = Math.Max(max, v / temperature);
        double sum = 0;
        for (int i = 0; i < p.Length; i++) { p[i] = Math.Exp(logits[i] / temperature - max); sum += p[i]; }
        var order = Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ThenBy(i => i).ToArray();
        double kept = 0; int count = 0;
        while (count < order.Length) { kept += p[order[count]] / sum; count++; if (kept >= topP) break; }
        double u = random.NextDouble() * order.Take(count).Sum(i => p[i]);
        double acc = 0;
        for (int j = 0; j < count; j++) { acc += p[order[j]]; if (u < acc) return order[j]; }
        return order[count - 1];
    }
}
