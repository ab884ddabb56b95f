using SteerMoE.Research.Inference.Checkpoints;
using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Inference.Models;

/// <summary>What <see cref="ModelTrace.Run"/> computes: inputs file, optional plan, optional greedy continuation.</summary>
public sealed record TraceRequest
{
    /// <summary>A safetensors file holding <c>input_ids</c> [B, T] (an integer dtype).</summary>
    public required string InputsPath { get; init; }
    /// <summary>The output safetensors file (written atomically).</summary>
    public required string OutputPath { get; init; }
    /// <summary>The steering rewrite, or null for the plain pass.</summary>
    public IRouterRewrite? Rewrite { get; init; }
    /// <summary>New tokens to generate greedily from row 0 (0: none).</summary>
    public int Generate { get; init; }
    /// <summary>How many ids of row 0 form the prompt of the generation.</summary>
    public int PromptTokens { get; init; }
    /// <summary>Numeric mode.</summary>
    public Precision Precision { get; init; } = Precision.Exact;
}

/// <summary>
/// The `trace` computation (docs/CONTRACTS.md §5.1): one batched forward pass over <c>input_ids</c> [B, T], writing
/// <c>logits</c> [B, T, V] F32, <c>router_logits.L{l}</c> [B·T, E] F32 (raw, before any rewrite),
/// <c>topk_index.L{l}</c> [B·T, k] I64 and, when asked, <c>gen</c> [1, P + N] I64.
/// </summary>
public static class ModelTrace
{
    /// <summary>Reads <c>input_ids</c> [B, T] from a safetensors file as B rows of ids.</summary>
    public static unsafe int[][] ReadInputIds(string path)
    {
        using var file = SafetensorsFile.Open(path);
        var t = file.Find("input_ids") ?? throw new InvalidDataException($"{path}: tensor 'input_ids' is missing (expected [B, T] integers).");
        if (t.Shape.Length != 2 || t.Shape[0] < 1 || t.Shape[1] < 1) throw new InvalidDataException($"{path}: tensor 'input_ids' has shape {t.ShapeText}, expected [B, T] with B, T >= 1.");
        var ids = TensorConvert.ToInt64(t, file.Pointer(t));
        int b = (int)t.Shape[0], len = (int)t.Shape[1];
        return Enumerable.Range(0, b).Select(r => ids.Skip(r * len).Take(len).Select(x => x is >= 0 and <= int.MaxValue ? (int)x
            : throw new InvalidDataException($"{path}: input_ids contains {x}, not a token id.")).ToArray()).ToArray();
    }

    /// <summary>Runs the trace and writes its file.</summary>
    public static void Run(MoeModel model, TraceRequest request) =>
        Run(model.Config, (rows, options) => model.Forward(rows, options), model.Generate, request);

    /// <summary>
    /// The trace through any engine with the CPU model's API (the CUDA backend passes its own Forward and Generate).
    /// </summary>
    public static void Run(ModelConfig config, Func<IReadOnlyList<IReadOnlyList<int>>, ForwardOptions, ForwardResult> forward,
        Func<IReadOnlyList<int>, GenerationOptions, int[]> generate, TraceRequest request)
    {
        var rows = ReadInputIds(request.InputsPath);
        int b = rows.Length, t = rows[0].Length, v = config.VocabSize;
        if (request.Generate < 0) throw new ArgumentException($"--generate: expected N >= 0, got {request.Generate}.");
        if (request.Generate > 0 && (request.PromptTokens < 1 || request.PromptTokens > t))
            throw new ArgumentException($"--prompt-tokens: expected 1..{t} (the length of row 0 of {request.InputsPath}), got {request.PromptTokens}.");
        var capture = new TraceObserver();
        var result = forward(rows, new ForwardOptions { ReturnLogits = true, Rewrite = request.Rewrite, Observer = capture, Precision = request.Precision });
        var tensors = new List<TensorToWrite> { TensorToWrite.Single("logits", result.Logits!, b, t, v) };
        foreach (var layer in capture.Layers)
        {
            tensors.Add(TensorToWrite.Single($"router_logits.L{layer}", capture.Logits[layer].ToArray(), b * t, capture.ExpertCount));
            tensors.Add(TensorToWrite.Int64($"topk_index.L{layer}", capture.TopK[layer].Select(x => (long)x).ToArray(), b * t, capture.TopKCount));
        }
        if (request.Generate > 0)
        {
            var generated = generate(rows[0][..request.PromptTokens], new GenerationOptions { MaxNewTokens = request.Generate, Rewrite = request.Rewrite, Precision = request.Precision });
            tensors.Add(TensorToWrite.Int64("gen", generated.Select(x => (long)x).ToArray(), 1, generated.Length));
        }
        SafetensorsWriter.Write(request.OutputPath, tensors, new Dictionary<string, string> { ["producer"] = "steermoe trace", ["architecture"] = config.Architecture });
    }

    /// <summary>Collects every layer's raw router logits and top-k (blocks appended in call order).</summary>
    private sealed class TraceObserver : IRoutingObserver
    {
        public SortedDictionary<int, List<float>> Logits { get; } = new();
        public SortedDictionary<int, List<int>> TopK { get; } = new();
        public IEnumerable<int> Layers => Logits.Keys;
        public int ExpertCount { get; private set; }
        public int TopKCount { get; private set; }

        public void OnRouting(in RoutingBatch batch)
        {
            ExpertCount = batch.ExpertCount; TopKCount = batch.TopK;
            if (!Logits.TryGetValue(batch.Layer, out var l)) { Logits[batch.Layer] = l = new List<float>(); TopK[batch.Layer] = new List<int>(); }
            foreach (float x in batch.RouterLogits) l.Add(x);
            foreach (int x in batch.TopKIndex) TopK[batch.Layer].Add(x);
        }
    }
}
