namespace SteerMoE.Research.Detection.Collection;

/// <summary>One side of a pair ready for the forward pass: its prompt ids and the counted span [Start, Start + Length).</summary>
/// <param name="Ids">Token ids of the chat-templated prompt.</param>
/// <param name="SpanStart">First counted position.</param>
/// <param name="SpanLength">Number of counted positions.</param>
public sealed record EncodedSide(int[] Ids, int SpanStart, int SpanLength)
{
    /// <summary>One past the last counted position.</summary>
    public int SpanEnd => SpanStart + SpanLength;
}

/// <summary>A pair ready for the forward pass.</summary>
/// <param name="Index">0-based index of the pair (non-blank lines of the dataset in order).</param>
/// <param name="Line">1-based line number in the dataset file.</param>
/// <param name="Side1">messages_0 (a1, d1).</param>
/// <param name="Side2">messages_1 (a2, d2).</param>
public sealed record EncodedPair(int Index, int Line, EncodedSide Side1, EncodedSide Side2)
{
    /// <summary>
    /// Whether the two target spans hold the same token ids (faithfulness-style pairs: the same answer with and
    /// without a document): such a pair feeds the paired t-statistic, span token k of side 1 against token k of side 2.
    /// </summary>
    public bool SpansMatch => Side1.Ids.AsSpan(Side1.SpanStart, Side1.SpanLength).SequenceEqual(Side2.Ids.AsSpan(Side2.SpanStart, Side2.SpanLength));
}
