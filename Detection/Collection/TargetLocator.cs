namespace SteerMoE.Research.Detection.Collection;

/// <summary>
/// Finds a target span the way the SteerMoE authors do: the target string is tokenized on its own (no special
/// tokens) and its ids are searched as a contiguous sub-list of the chat-templated prompt's ids; when it occurs
/// several times the LAST occurrence is counted. Nothing is re-tokenized in context: with a BPE tokenizer a
/// target tokenized alone can differ from its tokens inside the prompt (a leading space merged into the first
/// word, a merge across the boundary), and such a row has no match — an error naming the row, as in the
/// authors' code, rather than a silently shifted span.
/// </summary>
public static class TargetLocator
{
    /// <summary>The start of the last occurrence of <paramref name="target"/> in <paramref name="prompt"/>, or -1.</summary>
    public static int FindLast(ReadOnlySpan<int> prompt, ReadOnlySpan<int> target)
    {
        if (target.IsEmpty) throw new ArgumentException("target span: the target has no tokens.");
        return prompt.LastIndexOf(target);
    }
}
