using SteerMoE.Research.Inference.Architectures;
using System.Text.RegularExpressions;

namespace SteerMoE.Research.Inference.Models.Benchmarks;

/// <summary>
/// The bytes a KV-cached decode step has to read from memory, from the checkpoint's stored tensors: every weight
/// outside the routed experts once a step (attention, norms, routers, shared experts, the lm_head), one embedding row
/// per sequence, each routed expert that any sequence of the step chose once (a batch shares an expert's weights), and
/// the KV cache over each sequence's context. The floor under a step's memory traffic, so tokens/s can be judged
/// against the machine's bandwidth (bench --model). A dense layer of an interleaved model has no routed experts: its MLP
/// is read every step; the KV cache is what the model stores per token (MLA: the compressed latent), read over the
/// window or the current chunk where a layer has one; a multimodal checkpoint's tensors outside the language model's
/// prefix (Llama 4's vision tower) are never read.
/// </summary>
public sealed partial class DecodeTraffic
{
    private readonly long _dense, _embeddingRow;
    private readonly double[] _expertBytes;   // [layer] stored bytes of one routed expert
    private readonly long _kvPerLayerToken;   // fp32 K and V of one token in one layer
    private readonly int[] _windows;           // [layer] sliding window (0: the whole context)
    private readonly int[] _chunks;            // [layer] attention chunk (0: none): a token reads its own chunk only

    private DecodeTraffic(long dense, long embeddingRow, double[] expertBytes, long kvPerLayerToken, int[] windows, int[] chunks)
    {
        _dense = dense; _embeddingRow = embeddingRow; _expertBytes = expertBytes; _kvPerLayerToken = kvPerLayerToken; _windows = windows; _chunks = chunks;
    }

    /// <summary>Bytes read every step whatever the routing: all weights but the routed experts and the embedding table.</summary>
    public long DenseBytes => _dense;

    [GeneratedRegex(@"^model\.layers\.(\d+)\..*\.experts\.")]
    private static partial Regex ExpertTensor();

    /// <summary>Reads the sizes off a loaded model (tensor names of the Hugging Face layout).</summary>
    public static DecodeTraffic Of(MoeModel model)
    {
        var c = model.Config;
        var expertBytes = new double[c.LayerCount];
        long dense = 0, embeddingRow = 0;
        string prefix = ArchitectureRegistry.Get(c).TensorPrefix;   // "language_model." for Llama 4's hub checkpoints
        foreach (var stored in model.Weights.Files.SelectMany(f => f.Tensors.Values))
        {
            if (!stored.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;   // not the language model's
            var t = stored with { Name = stored.Name[prefix.Length..] };
            if (ExpertTensor().Match(t.Name) is { Success: true } m)
                expertBytes[int.Parse(m.Groups[1].Value)] += (double)t.ByteLength / Math.Max(1, c.ExpertCount);
            // A tied embedding is also the lm_head: read whole every step.
            else if (t.Name == "model.embed_tokens.weight" && !(c.TieWordEmbeddings && !model.Weights.Contains("lm_head.weight")))
                embeddingRow = t.ByteLength / Math.Max(1, c.VocabSize);
            else dense += t.ByteLength;
        }
        // Experts whose names the pattern does not know (none of the supported layouts) are counted as dense: a bound from above.
        var windows = c.SlidingWindows.Length == c.LayerCount ? c.SlidingWindows : new int[c.LayerCount];
        var chunks = c.AttentionChunks.Length == c.LayerCount ? c.AttentionChunks : new int[c.LayerCount];
        long kv = (long)(c.CacheWidths.Key + c.CacheWidths.Value) * sizeof(float);   // MLA: the latent and the rope key only
        return new DecodeTraffic(dense, embeddingRow, expertBytes, kv, windows, chunks);
    }

    /// <summary>
    /// Bytes of one step over sequences of <paramref name="contexts"/> tokens each (the new token included; a layer
    /// with a sliding window reads at most the window), where layer l's tokens chose <paramref name="distinctExperts"/>[l]
    /// different experts (<see cref="DistinctExperts"/>).
    /// </summary>
    public double StepBytes(ReadOnlySpan<int> distinctExperts, ReadOnlySpan<int> contexts)
    {
        double bytes = _dense + (double)contexts.Length * _embeddingRow;
        for (int l = 0; l < distinctExperts.Length; l++)
        {
            bytes += distinctExperts[l] * _expertBytes[l];
            foreach (int context in contexts)
            {
                int read = _windows[l] > 0 ? Math.Min(context, _windows[l]) : _chunks[l] > 0 ? (context - 1) % _chunks[l] + 1 : context;
                bytes += (double)read * _kvPerLayerToken;
            }
        }
        return bytes;
    }
}
