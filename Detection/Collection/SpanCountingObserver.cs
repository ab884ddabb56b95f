using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Detection.Collection;

/// <summary>
/// The observer of one batched forward pass: for every token inside its sequence's target span it adds one
/// activation per chosen expert (the model's own top-k) to its side's counters; optionally it keeps every
/// token's raw router logits and top-k for the routing log. Sequence 2i of the batch is side 1 of the batch's
/// pair i, sequence 2i + 1 its side 2.
/// </summary>
internal sealed class SpanCountingObserver : IRoutingObserver
{
    private readonly ActivationCounts _counts;
    private readonly int[] _spanStart, _spanEnd;   // [S] per sequence
    private readonly float[]? _logits;             // [T, L, E] for the routing log
    private readonly int[]? _topK;                 // [T, L, k]
    private readonly int[] _perSequence;          // [S, L, E] activations of each sequence's span
    private readonly int _layers;

    public SpanCountingObserver(ActivationCounts counts, IReadOnlyList<EncodedPair> batch, int topK, bool keepRouting)
    {
        _counts = counts; _layers = counts.Layers;
        _spanStart = new int[batch.Count * 2]; _spanEnd = new int[batch.Count * 2];
        int tokens = 0;
        _perSequence = new int[batch.Count * 2 * _layers * counts.Experts];
        for (int i = 0; i < batch.Count; i++)
        {
            _spanStart[2 * i] = batch[i].Side1.SpanStart; _spanEnd[2 * i] = batch[i].Side1.SpanEnd;
            _spanStart[2 * i + 1] = batch[i].Side2.SpanStart; _spanEnd[2 * i + 1] = batch[i].Side2.SpanEnd;
            tokens += batch[i].Side1.Ids.Length + batch[i].Side2.Ids.Length;
        }
        if (keepRouting)
        {
            _logits = new float[checked(tokens * _layers * counts.Experts)];
            _topK = new int[checked(tokens * _layers * topK)];
        }
    }

    /// <summary>[T, L, E] raw router logits of every token of the batch (rows in layout order), when kept.</summary>
    public float[]? RouterLogits => _logits;
    /// <summary>[T, L, k] chosen experts, when kept.</summary>
    public int[]? TopKIndex => _topK;
    /// <summary>[S, L, E] span activations per sequence (= [B, 2, L, E]: pair, side, layer, expert).</summary>
    public int[] PerSequence => _perSequence;

    public void OnRouting(in RoutingBatch batch)
    {
        int e = batch.ExpertCount, k = batch.TopK, layer = batch.Layer;
        if (e != _counts.Experts || layer >= _layers) throw new InvalidOperationException($"routing observer: layer {layer} has {e} experts; the counts hold {_layers} × {_counts.Experts}.");
        var sequence = batch.Sequence; var position = batch.Position; var index = batch.TopKIndex;
        int offset = layer * e;
        for (int t = 0; t < sequence.Length; t++)
        {
            int s = sequence[t], p = position[t];
            if (_logits != null)
            {
                batch.RouterLogits.Slice(t * e, e).CopyTo(_logits.AsSpan((t * _layers + layer) * e, e));
                index.Slice(t * k, k).CopyTo(_topK!.AsSpan((t * _layers + layer) * k, k));
            }
            if (p < _spanStart[s] || p >= _spanEnd[s]) continue;
            var activations = (s & 1) == 0 ? _counts.Activations1 : _counts.Activations2;
            int own = (s * _layers + layer) * e;
            for (int j = 0; j < k; j++)
            {
                int expert = index[t * k + j];
                activations[offset + expert]++;
                _perSequence[own + expert]++;
            }
        }
    }
}
