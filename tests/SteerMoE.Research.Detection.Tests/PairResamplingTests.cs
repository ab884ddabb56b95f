using SteerMoE.Research.Detection.Comparison;
using SteerMoE.Research.Detection.Pairs;
using SteerMoE.Research.Detection.Statistics;

namespace SteerMoE.Research.Detection.Tests;

public class PairResamplingTests
{
    // One layer, two experts. Every pair: 10 tokens per side; expert 0 fires 8 times on side 1, 2 on side 2;
    // expert 1 fires 5 times on each side.
    private static PairCounts Uniform(int pairs)
    {
        var counts = new PairCounts(pairs, 1, 2);
        for (int p = 0; p < pairs; p++) { counts.Add(p, 1, 10, [8, 5]); counts.Add(p, 2, 10, [2, 5]); }
        return counts;
    }

    [Fact]
    public void PoolsIntoTheCountTable()
    {
        var counts = Uniform(3);
        counts.Add(1, 2, 4, [4, 0]);   // more tokens on one side of pair 1
        var table = counts.ToCountTable();
        Assert.Equal(30, table.N1);
        Assert.Equal(34, table.N2);
        Assert.Equal(new Data.Counts.ExpertCounts(0, 0, 24, 6, 10, 24), table.Rows[0]);
        Assert.Equal(new Data.Counts.ExpertCounts(0, 1, 15, 15, 15, 19), table.Rows[1]);
    }

    [Fact]
    public void RejectsMoreActivationsThanTokens()
    {
        var counts = new PairCounts(2, 1, 2);
        var e = Assert.Throws<ArgumentException>(() => counts.Add(0, 1, 3, [4, 0]));
        Assert.Contains("pair 0, side 1, layer 0, expert 0: 4 activations over 3 tokens", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => counts.Add(0, 3, 3, [1, 1]));
        Assert.Throws<ArgumentException>(() => counts.Add(0, 1, 3, [1]));
        Assert.Equal(0, counts.Tokens(0, 1));   // a rejected add leaves nothing behind
    }

    [Fact]
    public void ExactPermutationTestEnumeratesAllSwaps()
    {
        // 4 pairs, 16 assignments: |RD*| reaches |RD| = 0.6 only with no swap or all four swapped: p = 2/16.
        var result = PairResampling.PermutationTest(Uniform(4), 1000, new Random(1));
        Assert.True(result.Exact);
        Assert.Equal(16, result.Permutations);
        Assert.Equal(0.6, result.RiskDifference[0], 12);
        Assert.Equal(2.0 / 16, result.P[0]);
        Assert.Equal(1.0, result.P[1]);   // RD = 0: every assignment is as extreme
    }

    [Fact]
    public void MonteCarloPermutationTestIsSeededAndBounded()
    {
        var counts = Uniform(12);   // 4096 assignments > 999: sampled
        var a = PairResampling.PermutationTest(counts, 999, new Random(7));
        var b = PairResampling.PermutationTest(counts, 999, new Random(7));
        Assert.False(a.Exact);
        Assert.Equal(a.P, b.P);
        // Only 2 of 4096 assignments are as extreme: p = (1 + hits)/1000 with hits ~ Binomial(999, 2/4096).
        Assert.InRange(a.P[0], 0.001, 0.006);
        Assert.Equal(1.0, a.P[1]);
    }

    [Fact]
    public void BootstrapOfIdenticalPairsHasNoSpreadAndStableTop()
    {
        var result = PairResampling.ClusterBootstrap(Uniform(6), 200, new Random(3), [1, 2]);
        Assert.Equal(0.6, result.Low[0], 12);
        Assert.Equal(0.6, result.High[0], 12);
        Assert.Equal(1.0, result.TopNFrequency[1][0]);
        Assert.Equal(0.0, result.TopNFrequency[1][1]);
        Assert.Equal([1.0, 1.0], result.TopNFrequency[2]);
    }

    [Fact]
    public void BootstrapIntervalsCoverTheEstimateAndTopNFrequenciesSumToN()
    {
        // 40 pairs with different sizes and effects over 2 layers x 4 experts.
        var random = new Random(11);
        var counts = new PairCounts(40, 2, 4);
        for (int p = 0; p < 40; p++)
            for (int side = 1; side <= 2; side++)
            {
                int tokens = random.Next(5, 40);
                var a = new long[8];
                for (int k = 0; k < 8; k++)
                {
                    double rate = 0.1 + 0.08 * k * (side == 1 ? 1 : 0.5);
                    for (int t = 0; t < tokens; t++) if (random.NextDouble() < rate) a[k]++;
                }
                counts.Add(p, side, tokens, a);
            }
        var r1 = PairResampling.ClusterBootstrap(counts, 500, new Random(5), [1, 3]);
        var r2 = PairResampling.ClusterBootstrap(counts, 500, new Random(5), [1, 3]);
        Assert.Equal(r1.Low, r2.Low);
        Assert.Equal(r1.TopNFrequency[3], r2.TopNFrequency[3]);
        for (int k = 0; k < 8; k++)
        {
            Assert.True(r1.Low[k] <= r1.RiskDifference[k] && r1.RiskDifference[k] <= r1.High[k], $"expert {k}");
            Assert.True(r1.High[k] > r1.Low[k]);
        }
        Assert.Equal(1.0, r1.TopNFrequency[1].Sum(), 12);
        Assert.Equal(3.0, r1.TopNFrequency[3].Sum(), 12);
        // The largest effect (flat index 7: RD ≈ 0.28) stays in the top 3 at least as often as any other expert.
        Assert.Equal(r1.TopNFrequency[3].Max(), r1.TopNFrequency[3][7]);
        Assert.True(r1.TopNFrequency[3][7] >= 0.9, $"top-3 stability of expert 7: {r1.TopNFrequency[3][7]}");
    }

    [Fact]
    public void PairedTNeedsMatchedTokenCounts()
    {
        var test = new PairedTTest(1, 2);
        var e = Assert.Throws<ArgumentException>(() => test.AddPair(new double[4], new double[6]));
        Assert.Contains("side 1 has 2 tokens, side 2 has 3", e.Message);
        Assert.True(double.IsNaN(test.Result(0, 0).T));
    }

    [Fact]
    public void RankAgreementOfIdenticalRankingsIsPerfect()
    {
        double[] key = [3, 1, 2, 5, 4];
        int[] order = [3, 4, 0, 2, 1];
        var a = RankAgreement.Compare(key, key, order, order, [2, 5]);
        Assert.Equal(1.0, a.Spearman, 14);
        Assert.Equal(1.0, a.KendallTauB, 14);
        Assert.Equal(1.0, a.TopNJaccard[2]);
        Assert.Null(a.PartingN);
        // Swap the last two: sets agree up to N = 3, differ at N = 4.
        var b = RankAgreement.Compare(key, [3, 2, 1, 5, 4], order, [3, 4, 0, 1, 2], [4]);
        Assert.Equal(4, b.PartingN);
        Assert.Equal(3.0 / 5, b.TopNJaccard[4]);
    }

    [Fact]
    public void UnderPairLevelNoiseFisherOverstatesSignificanceAndThePermutationTestDoesNot()
    {
        // No systematic side effect, but each pair shifts its two sides by ±u (u ~ N(0, 0.1)) per expert:
        // tokens of a pair are not independent. 200 experts, 30 pairs, 100 tokens per side.
        const int experts = 200, pairs = 30, tokens = 100;
        var random = new Random(17);
        var counts = new PairCounts(pairs, 1, experts);
        for (int p = 0; p < pairs; p++)
        {
            var a1 = new long[experts]; var a2 = new long[experts];
            for (int e = 0; e < experts; e++)
            {
                double u = 0.1 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                double r1 = Math.Clamp(0.3 + u, 0.01, 0.99), r2 = Math.Clamp(0.3 - u, 0.01, 0.99);
                for (int t = 0; t < tokens; t++) { if (random.NextDouble() < r1) a1[e]++; if (random.NextDouble() < r2) a2[e]++; }
            }
            counts.Add(p, 1, tokens, a1); counts.Add(p, 2, tokens, a2);
        }
        var table = counts.ToCountTable();
        double fisherRejects = table.Rows.Count(r => FisherExactTest.TwoSided(r.A1, r.D1, r.A2, r.D2).P < 0.05) / (double)experts;
        var permutation = PairResampling.PermutationTest(counts, 999, new Random(4));
        double permutationRejects = permutation.P.Count(v => v < 0.05) / (double)experts;
        Assert.True(fisherRejects > 0.3, $"pooled Fisher rejects {fisherRejects:P0} of true nulls");
        Assert.InRange(permutationRejects, 0.0, 0.12);
    }
}
