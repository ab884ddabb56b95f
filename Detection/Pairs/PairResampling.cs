using SteerMoE.Research.Detection.Ranking;

namespace SteerMoE.Research.Detection.Pairs;

/// <summary>Result of the permutation test over pairs: per (layer, expert), the pooled RD and its two-sided p-value.</summary>
/// <param name="RiskDifference">Observed pooled risk difference, [L*E].</param>
/// <param name="P">Two-sided p-value, [L*E].</param>
/// <param name="Permutations">Side assignments evaluated (2^pairs when <paramref name="Exact"/>).</param>
/// <param name="Exact">True when every one of the 2^pairs assignments was enumerated.</param>
public sealed record PermutationResult(double[] RiskDifference, double[] P, long Permutations, bool Exact);

/// <summary>Result of the cluster bootstrap over pairs.</summary>
/// <param name="RiskDifference">Observed pooled risk difference, [L*E].</param>
/// <param name="Low">Lower percentile bound of the RD interval, [L*E].</param>
/// <param name="High">Upper percentile bound, [L*E].</param>
/// <param name="TopNFrequency">For each N: the fraction of replicates in which each expert is in the top N by |RD|, [L*E].</param>
/// <param name="Replicates">Bootstrap replicates drawn.</param>
public sealed record BootstrapResult(double[] RiskDifference, double[] Low, double[] High,
    IReadOnlyDictionary<int, double[]> TopNFrequency, int Replicates);

/// <summary>
/// Pair-level inference for the pooled risk difference: the unit of resampling is the pair, so the
/// dependence of the tokens of one pair is respected (the paper's pooled tests treat them as independent).
/// Deterministic for a given <see cref="Random"/> (the caller's named stream): one seed per resample is
/// drawn from it first, in order, on one thread; each resample then draws from its own seed, so the result
/// does not depend on the thread count. Memory: the replicate RDs of the bootstrap, B × L × E doubles.
/// </summary>
public static class PairResampling
{
    // |RD| of a permuted assignment counts as "at least as extreme" within this relative rounding margin.
    private const double Margin = 1e-12;

    /// <summary>
    /// Permutation test of "the side label does not matter within a pair": each resample swaps the two sides
    /// of every pair independently with probability 1/2 and recomputes the pooled RD. Two-sided p =
    /// (1 + #{|RD*| ≥ |RD|}) / (B + 1) for B random assignments, or the exact fraction over all 2^pairs
    /// assignments when 2^pairs ≤ <paramref name="permutations"/>.
    /// </summary>
    public static PermutationResult PermutationTest(PairCounts counts, int permutations, Random random)
    {
        if (permutations <= 0) throw new ArgumentException($"permutation test: {permutations} permutations; expected a positive number.");
        int pairs = counts.PairCount, width = counts.Width;
        bool exact = pairs < 30 && (1L << pairs) <= permutations;
        long draws = exact ? 1L << pairs : permutations;
        // One seed per draw, drawn in order: draws can then run in parallel with O(pairs) memory each.
        var seeds = new int[exact ? 0 : draws];
        for (long b = 0; b < seeds.Length; b++) seeds[b] = random.Next();
        var totals = Totals(counts);
        var observed = RiskDifferences(totals.A1, totals.A2, totals.N1, totals.N2);
        var extreme = new long[width];
        var sync = new object();
        Parallel.For(0L, draws, () => new long[width], (b, _, local) =>
        {
            var swap = new bool[pairs];   // true = the pair's sides are swapped
            var draw = exact ? null : new Random(seeds[b]);
            for (int p = 0; p < pairs; p++) swap[p] = exact ? ((b >> p) & 1) == 1 : draw!.Next(2) == 1;
            var a1 = (long[])totals.A1.Clone(); var a2 = (long[])totals.A2.Clone();
            long n1 = totals.N1, n2 = totals.N2;
            for (int p = 0; p < pairs; p++)
            {
                if (!swap[p]) continue;
                var s1 = counts.Activations(p, 1); var s2 = counts.Activations(p, 2);
                for (int k = 0; k < width; k++) { long delta = s2[k] - s1[k]; a1[k] += delta; a2[k] -= delta; }
                long dn = counts.Tokens(p, 2) - counts.Tokens(p, 1); n1 += dn; n2 -= dn;
            }
            var rd = RiskDifferences(a1, a2, n1, n2);
            for (int k = 0; k < width; k++)
                if (Math.Abs(rd[k]) >= Math.Abs(observed[k]) * (1 - Margin)) local[k]++;
            return local;
        }, local => { lock (sync) for (int k = 0; k < width; k++) extreme[k] += local[k]; });
        var pValues = new double[width];
        for (int k = 0; k < width; k++)
            pValues[k] = exact ? (double)extreme[k] / draws : (1.0 + extreme[k]) / (draws + 1.0);
        return new PermutationResult(observed, pValues, draws, exact);
    }

    /// <summary>
    /// Cluster bootstrap: each replicate draws pairs with replacement (as many as there are), pools their
    /// counts and recomputes RD. Gives percentile intervals (numpy's linear interpolation) at
    /// <paramref name="level"/> and, for each N in <paramref name="topN"/>, how often each expert is in the
    /// top N by |RD| (ties by layer, then expert).
    /// </summary>
    public static BootstrapResult ClusterBootstrap(PairCounts counts, int replicates, Random random, IReadOnlyList<int> topN, double level = 0.95)
    {
        if (replicates <= 1) throw new ArgumentException($"cluster bootstrap: {replicates} replicates; expected at least 2.");
        if (!(level > 0 && level < 1)) throw new ArgumentException($"cluster bootstrap: level {level}; expected a number in (0, 1).");
        foreach (int n in topN) if (n <= 0) throw new ArgumentException($"--top: {n} is not a positive number of experts.");
        int pairs = counts.PairCount, width = counts.Width;
        var seeds = new int[replicates];   // one per replicate, drawn in order (see PermutationTest)
        for (int b = 0; b < replicates; b++) seeds[b] = random.Next();
        var totals = Totals(counts);
        var observed = RiskDifferences(totals.A1, totals.A2, totals.N1, totals.N2);
        var replicateRd = new double[replicates][];   // [B][L*E]
        var inTop = topN.Distinct().ToDictionary(n => n, _ => new int[width]);
        var sync = new object();
        Parallel.For(0, replicates, () => topN.Distinct().ToDictionary(n => n, _ => new int[width]), (b, _, local) =>
        {
            var multiplicity = new int[pairs];   // how many times each pair was drawn
            var draw = new Random(seeds[b]);
            for (int i = 0; i < pairs; i++) multiplicity[draw.Next(pairs)]++;
            var a1 = new long[width]; var a2 = new long[width];
            long n1 = 0, n2 = 0;
            for (int p = 0; p < pairs; p++)
            {
                int m = multiplicity[p];
                if (m == 0) continue;
                var s1 = counts.Activations(p, 1); var s2 = counts.Activations(p, 2);
                for (int k = 0; k < width; k++) { a1[k] += m * s1[k]; a2[k] += m * s2[k]; }
                n1 += m * counts.Tokens(p, 1); n2 += m * counts.Tokens(p, 2);
            }
            var rd = replicateRd[b] = RiskDifferences(a1, a2, n1, n2);
            var order = OrderByMagnitude(rd);
            foreach (var (n, hits) in local)
                for (int r = 0; r < Math.Min(n, width); r++) hits[order[r]]++;
            return local;
        }, local => { lock (sync) foreach (var (n, hits) in local) for (int k = 0; k < width; k++) inTop[n][k] += hits[k]; });

        var low = new double[width]; var high = new double[width];
        var column = new double[replicates];
        for (int k = 0; k < width; k++)
        {
            for (int b = 0; b < replicates; b++) column[b] = replicateRd[b][k];
            Array.Sort(column);   // NaN (a side with no tokens in a replicate) sorts first
            low[k] = Percentile(column, (1 - level) / 2);
            high[k] = Percentile(column, 1 - (1 - level) / 2);
        }
        var frequency = inTop.ToDictionary(kv => kv.Key, kv => kv.Value.Select(h => (double)h / replicates).ToArray());
        return new BootstrapResult(observed, low, high, frequency, replicates);
    }

    /// <summary>Indices of <paramref name="scores"/> ([L*E]) by |score| descending (NaN last), ties by layer, then expert.</summary>
    public static int[] OrderByMagnitude(IReadOnlyList<double> scores) =>
        ExpertRanking.Order(scores.Select(DetectionMetric.MagnitudeOf).ToArray());

    // numpy.percentile's default (linear): position q·(n − 1) in the sorted sample.
    private static double Percentile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    private static (long[] A1, long[] A2, long N1, long N2) Totals(PairCounts counts)
    {
        var a1 = new long[counts.Width]; var a2 = new long[counts.Width];
        long n1 = 0, n2 = 0;
        for (int p = 0; p < counts.PairCount; p++)
        {
            var s1 = counts.Activations(p, 1); var s2 = counts.Activations(p, 2);
            for (int k = 0; k < counts.Width; k++) { a1[k] += s1[k]; a2[k] += s2[k]; }
            n1 += counts.Tokens(p, 1); n2 += counts.Tokens(p, 2);
        }
        return (a1, a2, n1, n2);
    }

    private static double[] RiskDifferences(long[] a1, long[] a2, long n1, long n2)
    {
        var rd = new double[a1.Length];
        for (int k = 0; k < rd.Length; k++) rd[k] = (double)a1[k] / n1 - (double)a2[k] / n2;
        return rd;
    }
}
