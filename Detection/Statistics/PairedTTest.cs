using MathNet.Numerics.Distributions;

namespace SteerMoE.Research.Detection.Statistics;

/// <summary>The paired t-statistic of one (layer, expert) and its two-sided p-value.</summary>
public readonly record struct PairedTResult(long Count, double MeanDifference, double T, double P)
{
    /// <summary>Degrees of freedom, n − 1 (0 with fewer than 2 differences).</summary>
    public long DegreesOfFreedom => Math.Max(Count - 1, 0);
}

/// <summary>
/// The whole state of a <see cref="PairedTTest"/> (per (layer, expert), index layer·Experts + expert: the number of
/// differences, their running mean and running sum of squared deviations), to save with a checkpoint and restore.
/// </summary>
/// <param name="Layers">Decoder layers.</param>
/// <param name="Experts">Experts per layer.</param>
/// <param name="Count">[L*E] differences added.</param>
/// <param name="Mean">[L*E] running mean of the differences.</param>
/// <param name="M2">[L*E] running sum of squared deviations from the mean.</param>
public sealed record PairedTTestState(int Layers, int Experts, long[] Count, double[] Mean, double[] M2);

/// <summary>
/// The authors' paired t-statistic (their `t_stat` column), accumulated as a stream. What is paired: for a
/// pair whose two target spans hold the same token ids (the collector's rule, EncodedPair.SpansMatch:
/// faithfulness-style pairs, where the target is the same answer and only the context differs), token k of
/// side 1's span and token k of side 2's span;
/// the observation is, per (layer, expert), the router probability of that expert for that token —
/// softmax of the router logits over the layer's experts, before the top-k — on side 1 minus on side 2.
/// t = mean(d) / (sd(d) / sqrt(n)), sd with n − 1 degrees of freedom, as scipy.stats.ttest_rel; the
/// two-sided p-value from Student's t with n − 1 degrees of freedom. Memory is one Welford state per
/// (layer, expert), independent of the number of tokens.
/// </summary>
public sealed class PairedTTest
{
    private readonly long[] _count;    // [L*E]
    private readonly double[] _mean;   // [L*E] running mean of d
    private readonly double[] _m2;     // [L*E] running sum of squared deviations of d

    /// <summary>An empty accumulator for <paramref name="layers"/> × <paramref name="experts"/>.</summary>
    public PairedTTest(int layers, int experts)
    {
        if (layers <= 0 || experts <= 0) throw new ArgumentException($"paired t-test: {layers} layers × {experts} experts; expected positive sizes.");
        Layers = layers; Experts = experts;
        _count = new long[layers * experts]; _mean = new double[layers * experts]; _m2 = new double[layers * experts];
    }

    /// <summary>An accumulator continuing from a saved <paramref name="state"/> (copied); adding the same differences
    /// afterwards gives bit for bit the result of one uninterrupted accumulation.</summary>
    public PairedTTest(PairedTTestState state) : this(state.Layers, state.Experts)
    {
        int width = state.Layers * state.Experts;
        if (state.Count.Length != width || state.Mean.Length != width || state.M2.Length != width)
            throw new ArgumentException($"paired t-test state: {state.Count.Length}, {state.Mean.Length}, {state.M2.Length} values; expected layers × experts = {width} each.");
        for (int i = 0; i < width; i++)
            if (state.Count[i] < 0 || !(state.M2[i] >= 0) || !double.IsFinite(state.Mean[i]))
                throw new ArgumentException($"paired t-test state: index {i}: count {state.Count[i]}, mean {state.Mean[i]}, M2 {state.M2[i]}; expected count ≥ 0, a finite mean, M2 ≥ 0.");
        state.Count.CopyTo(_count, 0); state.Mean.CopyTo(_mean, 0); state.M2.CopyTo(_m2, 0);
    }

    /// <summary>A copy of the accumulator's state (see <see cref="PairedTTest(PairedTTestState)"/>).</summary>
    public PairedTTestState ExportState() => new(Layers, Experts, (long[])_count.Clone(), (double[])_mean.Clone(), (double[])_m2.Clone());

    /// <summary>Differences added to the (layer, expert) with the fewest (every index gets one per matched token).</summary>
    public long Count => _count.Min();

    /// <summary>Decoder layers.</summary>
    public int Layers { get; }
    /// <summary>Experts per layer.</summary>
    public int Experts { get; }

    /// <summary>
    /// Adds the matched tokens of one pair: router probabilities of side 1 and side 2, both [tokens, L*E]
    /// (token-major, then layer, then expert), token k of one side paired with token k of the other.
    /// </summary>
    public void AddPair(ReadOnlySpan<double> side1, ReadOnlySpan<double> side2)
    {
        int width = Layers * Experts;
        if (side1.Length != side2.Length)
            throw new ArgumentException($"paired t-test: side 1 has {side1.Length / width} tokens, side 2 has {side2.Length / width}; the paired statistic needs matched token counts.");
        if (side1.Length % width != 0)
            throw new ArgumentException($"paired t-test: {side1.Length} probabilities is not a multiple of layers × experts = {width}.");
        for (int offset = 0; offset < side1.Length; offset += width)
            for (int k = 0; k < width; k++)
                Add(k, side1[offset + k] - side2[offset + k]);
    }

    /// <summary>Adds one difference d (side 1 − side 2) for the flat index layer·Experts + expert.</summary>
    public void Add(int index, double difference)
    {
        long n = ++_count[index];
        double delta = difference - _mean[index];
        _mean[index] += delta / n;
        _m2[index] += delta * (difference - _mean[index]);
    }

    /// <summary>
    /// Adds the differences another accumulator holds (Chan, Golub and LeVeque's parallel update: n = na + nb,
    /// δ = mean_b − mean_a, mean = mean_a + δ·nb/n, M2 = M2_a + M2_b + δ²·na·nb/n), as when detection shards are merged.
    /// An empty side leaves the other's state bit for bit; otherwise the result equals adding the same differences one by
    /// one up to rounding (within 1e-12 relative on detection's statistics, tested), not bit for bit.
    /// </summary>
    public void Merge(PairedTTest other)
    {
        if (other.Layers != Layers || other.Experts != Experts)
            throw new ArgumentException($"paired t-test merge: {other.Layers} layers × {other.Experts} experts into {Layers} × {Experts}.");
        for (int i = 0; i < _count.Length; i++)
        {
            long na = _count[i], nb = other._count[i];
            if (nb == 0) continue;
            if (na == 0) { _count[i] = nb; _mean[i] = other._mean[i]; _m2[i] = other._m2[i]; continue; }
            long n = na + nb;
            double delta = other._mean[i] - _mean[i];
            _mean[i] += delta * nb / n;
            _m2[i] += other._m2[i] + delta * delta * ((double)na * nb / n);
            _count[i] = n;
        }
    }

    /// <summary>The statistic of one (layer, expert); NaN t and p with fewer than 2 tokens or zero variance.</summary>
    public PairedTResult Result(int layer, int expert)
    {
        int i = layer * Experts + expert;
        long n = _count[i];
        if (n < 2) return new PairedTResult(n, n == 1 ? _mean[i] : double.NaN, double.NaN, double.NaN);
        double variance = _m2[i] / (n - 1);
        double t = _mean[i] / Math.Sqrt(variance / n);
        double p = double.IsFinite(t) ? 2 * StudentT.CDF(0, 1, n - 1, -Math.Abs(t)) : double.NaN;
        return new PairedTResult(n, _mean[i], t, p);
    }
}
