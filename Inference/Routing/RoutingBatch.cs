namespace SteerMoE.Research.Inference.Routing;

/// <summary>
/// What one MoE layer's router did for a block of tokens, handed to an <see cref="IRoutingObserver"/>
/// during the forward pass. The spans are only valid for the duration of the callback: copy what you keep.
/// Token i of the block is row <c>Sequence[i]</c>, position <c>Position[i]</c> of the batch.
/// </summary>
public readonly ref struct RoutingBatch
{
    /// <summary>Creates a batch view; the engine is the only producer.</summary>
    public RoutingBatch(int layer, int expertCount, int topK,
        ReadOnlySpan<float> routerLogits, ReadOnlySpan<int> topKIndex, ReadOnlySpan<float> topKWeight,
        ReadOnlySpan<int> sequence, ReadOnlySpan<int> position)
    {
        int tokens = sequence.Length;
        if (routerLogits.Length != tokens * expertCount || topKIndex.Length != tokens * topK ||
            topKWeight.Length != tokens * topK || position.Length != tokens)
            throw new ArgumentException("RoutingBatch: span lengths do not match tokens x experts / tokens x k.");
        Layer = layer; ExpertCount = expertCount; TopK = topK;
        RouterLogits = routerLogits; TopKIndex = topKIndex; TopKWeight = topKWeight;
        Sequence = sequence; Position = position;
    }

    /// <summary>Decoder-layer index of this MoE block (layer indices are decoder-layer indices everywhere).</summary>
    public int Layer { get; }
    /// <summary>Experts in this layer (E).</summary>
    public int ExpertCount { get; }
    /// <summary>Experts chosen per token (k).</summary>
    public int TopK { get; }
    /// <summary>Number of tokens in the block (T).</summary>
    public int TokenCount => Sequence.Length;
    /// <summary>[T, E] raw router output: the router's linear layer (its bias included), before any rewrite.</summary>
    public ReadOnlySpan<float> RouterLogits { get; }
    /// <summary>[T, k] the experts the token was routed to, in the model's own order.</summary>
    public ReadOnlySpan<int> TopKIndex { get; }
    /// <summary>[T, k] the mixing weight each chosen expert's output was multiplied by.</summary>
    public ReadOnlySpan<float> TopKWeight { get; }
    /// <summary>[T] batch row of each token.</summary>
    public ReadOnlySpan<int> Sequence { get; }
    /// <summary>[T] position of each token within its row (0-based).</summary>
    public ReadOnlySpan<int> Position { get; }
}
