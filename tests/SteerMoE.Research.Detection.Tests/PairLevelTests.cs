using SteerMoE.Research.Data.Counts;
using SteerMoE.Research.Detection.Pairs;
using SteerMoE.Research.Detection.Ranking;
using SteerMoE.Research.Detection.Statistics;

namespace SteerMoE.Research.Detection.Tests;

/// <summary>The online paired t against a two-pass computation, its saved state, and the pair-level ranking columns.</summary>
public class PairLevelTests
{
    [Fact]
    public void OnlinePairedTEqualsATwoPassComputation()
    {
        // Probabilities near 0.9 with small differences: the regime where a one-pass sum-of-squares formula loses digits.
        var random = new Random(3);
        const int layers = 2, experts = 3, width = layers * experts;
        var test = new PairedTTest(layers, experts);
        var differences = Enumerable.Range(0, width).Select(_ => new List<double>()).ToArray();
        for (int pair = 0; pair < 40; pair++)
        {
            int tokens = random.Next(1, 6);
            var side1 = new double[tokens * width]; var side2 = new double[tokens * width];
            for (int i = 0; i < side1.Length; i++)
            {
                side1[i] = 0.9 + 1e-3 * random.NextDouble() + 1e-4 * (i % width);
                side2[i] = 0.9 + 1e-3 * random.NextDouble();
                differences[i % width].Add(side1[i] - side2[i]);
            }
            test.AddPair(side1, side2);
        }
        for (int k = 0; k < width; k++)
        {
            var d = differences[k];
            int n = d.Count;
            double mean = d.Sum() / n;
            double sd = Math.Sqrt(d.Sum(x => (x - mean) * (x - mean)) / (n - 1));
            double t = mean / (sd / Math.Sqrt(n));
            double p = 2 * MathNet.Numerics.Distributions.StudentT.CDF(0, 1, n - 1, -Math.Abs(t));
            var r = test.Result(k / experts, k % experts);
            Assert.Equal(n, r.Count);
            Assert.Equal(n - 1, r.DegreesOfFreedom);
            Assert.Equal(mean, r.MeanDifference, 1e-15);
            Assert.True(Math.Abs(r.T - t) <= 1e-10 * Math.Abs(t), $"index {k}: t {r.T} vs two-pass {t}");
            Assert.True(Math.Abs(r.P - p) <= 1e-10 * Math.Max(p, 1e-300), $"index {k}: p {r.P} vs {p}");
        }
        // Expert 2 of layer 1 (offset 5e-4 on side 1) is clearly positive.
        Assert.True(test.Result(1, 2).T > 10);
    }

    [Fact]
    public void APairedTRestoredFromItsStateContinuesBitForBit()
    {
        var random = new Random(9);
        var rows = Enumerable.Range(0, 30).Select(_ => (Enumerable.Range(0, 8).Select(_ => random.NextDouble()).ToArray(), Enumerable.Range(0, 8).Select(_ => random.NextDouble()).ToArray())).ToArray();
        var whole = new PairedTTest(2, 2);
        foreach (var (a, b) in rows) whole.AddPair(a, b);
        var first = new PairedTTest(2, 2);
        foreach (var (a, b) in rows[..13]) first.AddPair(a, b);
        var state = first.ExportState();
        var resumed = new PairedTTest(state with { Count = (long[])state.Count.Clone(), Mean = (double[])state.Mean.Clone(), M2 = (double[])state.M2.Clone() });
        foreach (var (a, b) in rows[13..]) resumed.AddPair(a, b);
        var x = whole.ExportState(); var y = resumed.ExportState();
        Assert.Equal(x.Count, y.Count);
        Assert.Equal(x.Mean.Select(BitConverter.DoubleToInt64Bits), y.Mean.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(x.M2.Select(BitConverter.DoubleToInt64Bits), y.M2.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(60, resumed.Count);
        var bad = Assert.Throws<ArgumentException>(() => new PairedTTest(state with { M2 = [0, -1, 0, 0] }));
        Assert.Contains("index 1", bad.Message);
        Assert.Throws<ArgumentException>(() => new PairedTTest(state with { Count = [1] }));
    }

    // One layer, two experts, five pairs of different sizes: expert 0 fires more on side 1 in most pairs, expert 1 is mixed.
    private static PairCounts Handmade()
    {
        var counts = new PairCounts(5, 1, 2);
        (long n1, long[] a1, long n2, long[] a2)[] rows =
        [
            (10, [7, 3], 10, [2, 4]),
            (6, [4, 1], 8, [1, 2]),
            (12, [9, 6], 11, [5, 6]),
            (5, [1, 2], 7, [3, 2]),
            (9, [6, 5], 9, [2, 3]),
        ];
        for (int p = 0; p < rows.Length; p++) { counts.Add(p, 1, rows[p].n1, rows[p].a1); counts.Add(p, 2, rows[p].n2, rows[p].a2); }
        return counts;
    }

    // The two-sided permutation p by enumerating every one of the 2^pairs side swaps, written independently of PairResampling.
    private static double[] EnumeratedP(PairCounts counts)
    {
        int pairs = counts.PairCount, width = counts.Width;
        double Rd(int mask, int k)
        {
            double a1 = 0, a2 = 0, n1 = 0, n2 = 0;
            for (int p = 0; p < pairs; p++)
            {
                bool swap = ((mask >> p) & 1) == 1;
                int s1 = swap ? 2 : 1, s2 = swap ? 1 : 2;
                a1 += counts.Activations(p, s1)[k]; n1 += counts.Tokens(p, s1);
                a2 += counts.Activations(p, s2)[k]; n2 += counts.Tokens(p, s2);
            }
            return a1 / n1 - a2 / n2;
        }
        var result = new double[width];
        for (int k = 0; k < width; k++)
        {
            double observed = Math.Abs(Rd(0, k));
            result[k] = Enumerable.Range(0, 1 << pairs).Count(m => Math.Abs(Rd(m, k)) >= observed - 1e-12) / (double)(1 << pairs);
        }
        return result;
    }

    [Fact]
    public void PermutationPIsExactForFewPairsAndMonteCarloWithinItsError()
    {
        var counts = Handmade();
        var exactP = EnumeratedP(counts);
        var exact = PairLevelStatistics.Compute(counts, null, 1000, 1, new Random(1), new Random(2));
        Assert.True(exact.Permutation!.Exact);
        Assert.Equal(32, exact.Permutation.Permutations);
        Assert.Equal(exactP, exact.Permutation.P);
        Assert.Equal([4.0 / 32, 24.0 / 32], exactP);   // expert 0: 4 of 32 assignments as extreme; expert 1: 24
        // 20 < 32 assignments: sampled; (1 + hits)/(B + 1) is within a few binomial errors of the exact p.
        const int b = 20;
        var sampled = PairLevelStatistics.Compute(counts, null, b, 1, new Random(1), new Random(2));
        Assert.False(sampled.Permutation!.Exact);
        for (int k = 0; k < 2; k++)
        {
            double error = 4 * Math.Sqrt(exactP[k] * (1 - exactP[k]) / b) + 1.0 / (b + 1);
            Assert.InRange(sampled.Permutation.P[k], exactP[k] - error, exactP[k] + error);
        }
    }

    [Fact]
    public void BootstrapColumnsAreSeededAndAClearlySeparatedExpertIsAlwaysFirst()
    {
        var counts = new PairCounts(12, 1, 3);
        var random = new Random(4);
        for (int p = 0; p < 12; p++)
        {
            int t1 = random.Next(8, 20), t2 = random.Next(8, 20);
            counts.Add(p, 1, t1, [t1, random.Next(0, t1 / 2), random.Next(0, t1 / 2)]);   // expert 0: every side-1 token
            counts.Add(p, 2, t2, [0, random.Next(0, t2 / 2), random.Next(0, t2 / 2)]);     // and no side-2 token
        }
        var a = PairLevelStatistics.Compute(counts, null, 300, 1, new Random(5), new Random(6));
        var b = PairLevelStatistics.Compute(counts, null, 300, 1, new Random(5), new Random(6));
        var c = PairLevelStatistics.Compute(counts, null, 300, 1, new Random(5), new Random(7));
        Assert.Equal(a.Bootstrap!.Low, b.Bootstrap!.Low);
        Assert.Equal(a.Bootstrap.High, b.Bootstrap.High);
        Assert.NotEqual(a.Bootstrap.Low, c.Bootstrap!.Low);
        Assert.Equal([1.0, 0.0, 0.0], a.Bootstrap.TopNFrequency[1]);
        Assert.Equal(1.0, a.Bootstrap.Low[0]);   // RD = 1 in every replicate
        // |RD*| = 1 only with no pair or every pair swapped (2 of 4096 assignments): p = (1 + hits)/301, hits ~ Bin(300, 1/2048).
        Assert.InRange(a.Permutation!.P[0], 1.0 / 301, 3.0 / 301);
        var cells = a.Cells(0, 0);
        Assert.Equal(PairLevelStatistics.Columns.Length, cells.Length);
        Assert.Equal(["", "", ""], cells[..3]);   // no paired t given: empty, not zero
        Assert.Equal("1", cells[6]);
    }

    [Fact]
    public void RankingCsvHasThePairLevelColumnsEmptyUnlessGiven()
    {
        var counts = Handmade();
        var table = counts.ToCountTable();
        var plain = ExpertRanking.Rank(table, DetectionMetric.Get("rd")).ToCsv();
        Assert.Equal(ExpertRanking.Columns, plain.Columns);
        int perm = plain.ColumnIndex("perm_p");
        Assert.Equal("", plain.Text(0, perm));
        Assert.Equal("rank", plain.Columns[^1]);
        var t = new PairedTTest(1, 2);
        t.AddPair([0.5, 0.2, 0.6, 0.1], [0.4, 0.3, 0.3, 0.1]);
        var level = PairLevelStatistics.Compute(counts, t, 1000, 1, new Random(1), new Random(2));
        var full = ExpertRanking.Rank(table, DetectionMetric.Get("rd")).WithPairLevel(level).ToCsv();
        Assert.Equal(0, full.Int64(0, 1));   // expert 0 ranks first by |RD|
        Assert.Equal(EnumeratedP(counts)[0], full.Double(0, perm));
        Assert.Equal(level.PairedT!.Result(0, 0).T, full.Double(0, full.ColumnIndex("paired_t")));
        Assert.Equal(1, full.Int64(0, full.ColumnIndex("paired_t_df")));
        Assert.Equal(level.Bootstrap!.High[0], full.Double(0, full.ColumnIndex("risk_diff_boot_hi")));
        // An accumulator without matched tokens leaves the t columns empty.
        var none = PairLevelStatistics.Compute(counts, new PairedTTest(1, 2), 0, 1, new Random(1), new Random(2));
        Assert.Null(none.PairedT);
        Assert.All(none.Cells(0, 1), cell => Assert.Equal("", cell));
        Assert.Throws<ArgumentException>(() => ExpertRanking.Rank(table, DetectionMetric.Get("rd")).WithPairLevel(PairLevelStatistics.Compute(new PairCounts(1, 1, 3), null, 0, 1, new Random(), new Random())));
        // A layer without rows (a dense layer of an interleaved model) is no mismatch.
        ExpertRanking.Rank(table, DetectionMetric.Get("rd")).WithPairLevel(PairLevelStatistics.Compute(new PairCounts(1, 2, 2), null, 0, 1, new Random(), new Random()));
    }
}
