using SteerMoE.Research.Inference.Routing;

namespace SteerMoE.Research.Detection.Collection;

/// <summary>
/// The observer of one batched forward pass: for every token inside its sequence's target span it adds one
/// activation per chosen expert (the model's own top-k) to its side's counters; optionally it keeps every
/// token's raw router logits and top-k for the routing log. Sequence 2i of the batch is side 1 of the batch's
/// pair i, sequence 2i + 1 its side 2. For a pair whose spans match (<see cref="EncodedPair.SpansMatch"/>) it also
/// keeps the router probabilities (softmax of the router logits over all the layer's experts) of every span token,
/// for the paired t-statistic.
/// </summary>
internal sealed class SpanCountingObserver : IRoutingObserver
{
    private readonly ActivationCounts _counts;
    private readonly int[] _spanStart, _spanEnd;   // [S] per sequence
    private readonly float[]? _logits;             // [T, L, E] for the routing log
    private readonly int[]? _topK;                 // [T, L, k]
    private readonly int[] _perSequence;          // [S, L, E] activations of each sequence's span
    private readonly double[] _probabilities;     // [span tokens of matched sequences, L, E]
    private readonly int[] _probabilityOffset;    // [S] first row of the sequence in _probabilities, −1 when not kept
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
        _probabilityOffset = new int[batch.Count * 2];
        int rows = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            if (!batch[i].SpansMatch) { _probabilityOffset[2 * i] = _probabilityOffset[2 * i + 1] = -1; continue; }
            _probabilityOffset[2 * i] = rows; rows += batch[i].Side1.SpanLength;
            _probabilityOffset[2 * i + 1] = rows; rows += batch[i].Side2.SpanLength;
        }
        _probabilities = new double[checked(rows * _layers * counts.Experts)];
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

    /// <summary>
    /// [span tokens, L, E] router probabilities of the span of sequence <paramref name="sequence"/> (pair i, side 1 is
    /// sequence 2i), kept for pairs whose spans match.
    /// </summary>
    public ReadOnlySpan<double> SpanProbabilities(int sequence, int spanLength)
    {
        int width = _layers * _counts.Experts;
        return _probabilityOffset[sequence] < 0 ? [] : _probabilities.AsSpan(_probabilityOffset[sequence] * width, spanLength * width);
    }

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
            if (_probabilityOffset[s] >= 0)
                Softmax(batch.RouterLogits.Slice(t * e, e),
                    _probabilities.AsSpan(((_probabilityOffset[s] + p - _spanStart[s]) * _layers + layer) * e, e));
        }
    }

    // softmax(z) over the layer's experts, in double: exp(z − max z) / Σ exp(z − max z).
    internal static void Softmax(ReadOnlySpan<float> logits, Span<double> into)
    {
        double max = double.NegativeInfinity;
        foreach (float z in logits) max = Math.Max(max, z);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += into[i] = Math.Exp(logits[i] - max);
        for (int i = 0; i < logits.Length; i++) into[i] /= sum;
    }
}
