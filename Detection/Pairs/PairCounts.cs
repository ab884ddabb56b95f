using SteerMoE.Research.Data.Counts;

namespace SteerMoE.Research.Detection.Pairs;

/// <summary>
/// Counts kept per pair, for the pair-level statistics (tokens of one pair are not independent): for every
/// pair and side (1 = messages_0, 2 = messages_1), the number of counted tokens and, per (layer, expert),
/// how many of them activated the expert. The collection step fills it with <see cref="Add"/>; pooled over
/// pairs it is the count table.
/// </summary>
public sealed class PairCounts
{
    private readonly long[] _tokens;        // [P, 2]
    private readonly long[] _activations;   // [P, 2, L*E]

    /// <summary>An all-zero structure for <paramref name="pairs"/> pairs of a model with the given layers and experts.</summary>
    public PairCounts(int pairs, int layers, int experts)
    {
        if (pairs <= 0 || layers <= 0 || experts <= 0)
            throw new ArgumentException($"pair counts: {pairs} pairs, {layers} layers, {experts} experts; expected positive sizes.");
        PairCount = pairs; Layers = layers; Experts = experts;
        _tokens = new long[pairs * 2];
        _activations = new long[(long)pairs * 2 * layers * experts];
    }

    /// <summary>Number of pairs.</summary>
    public int PairCount { get; }
    /// <summary>Decoder layers.</summary>
    public int Layers { get; }
    /// <summary>Experts per layer.</summary>
    public int Experts { get; }
    /// <summary>Layers × experts: the length of one side's activation vector (index layer·Experts + expert).</summary>
    public int Width => Layers * Experts;

    /// <summary>
    /// Adds <paramref name="tokens"/> counted tokens of one side of a pair and their activations per
    /// (layer, expert), [L*E]. Throws when an expert would have more activations than the side has tokens.
    /// </summary>
    public void Add(int pair, int side, long tokens, ReadOnlySpan<long> activations)
    {
        int s = SideIndex(pair, side);
        if (activations.Length != Width)
            throw new ArgumentException($"pair {pair}, side {side}: {activations.Length} activation counts, expected layers × experts = {Width}.");
        if (tokens < 0) throw new ArgumentException($"pair {pair}, side {side}: negative token count {tokens}.");
        long total = _tokens[s] + tokens;
        var row = _activations.AsSpan(s * Width, Width);
        for (int k = 0; k < Width; k++)
        {
            long a = row[k] + activations[k];
            if (activations[k] < 0 || a > total)
                throw new ArgumentException($"pair {pair}, side {side}, layer {k / Experts}, expert {k % Experts}: {a} activations over {total} tokens; expected 0 ≤ activations ≤ tokens.");
        }
        for (int k = 0; k < Width; k++) row[k] += activations[k];
        _tokens[s] = total;
    }

    /// <summary>Counted tokens of one side of a pair.</summary>
    public long Tokens(int pair, int side) => _tokens[SideIndex(pair, side)];

    /// <summary>Activations of one side of a pair, [L*E].</summary>
    public ReadOnlySpan<long> Activations(int pair, int side) => _activations.AsSpan(SideIndex(pair, side) * Width, Width);

    /// <summary>The pooled count table (a = Σ over pairs of activations, d = N − a; a layer never routed, dense, has no rows).</summary>
    public CountTable ToCountTable(string source = "pair counts")
    {
        long n1 = 0, n2 = 0;
        var a1 = new long[Width]; var a2 = new long[Width];
        for (int p = 0; p < PairCount; p++)
        {
            n1 += Tokens(p, 1); n2 += Tokens(p, 2);
            var s1 = Activations(p, 1); var s2 = Activations(p, 2);
            for (int k = 0; k < Width; k++) { a1[k] += s1[k]; a2[k] += s2[k]; }
        }
        return CountTable.FromPooled(Layers, Experts, a1, a2, n1, n2, source);
    }

    /// <summary>
    /// A copy with the two sides of each pair swapped with probability 1/2 (one draw of <paramref name="random"/> per pair,
    /// in pair order): the labels shuffled within pairs, for null checks of a detector.
    /// </summary>
    public PairCounts WithSidesPermuted(Random random)
    {
        var result = new PairCounts(PairCount, Layers, Experts);
        for (int p = 0; p < PairCount; p++)
        {
            bool swap = random.Next(2) == 1;
            for (int side = 1; side <= 2; side++)
            {
                int from = swap ? 3 - side : side;
                result.Add(p, side, Tokens(p, from), Activations(p, from));
            }
        }
        return result;
    }

    private int SideIndex(int pair, int side)
    {
        if ((uint)pair >= (uint)PairCount) throw new ArgumentOutOfRangeException(nameof(pair), $"pair {pair}: expected 0..{PairCount - 1}.");
        if (side is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(side), $"side {side}: expected 1 (messages_0) or 2 (messages_1).");
        return pair * 2 + side - 1;
    }
}
