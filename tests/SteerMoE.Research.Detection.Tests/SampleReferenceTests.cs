using SteerMoE.Research.Detection.Comparison;
using SteerMoE.Research.Detection.Statistics;
using static SteerMoE.Research.Detection.Tests.ReferenceVectors;

namespace SteerMoE.Research.Detection.Tests;

/// <summary>BH q-values, rank correlations and the paired t against statsmodels/scipy.</summary>
public class SampleReferenceTests
{
    [Fact]
    public void BenjaminiHochbergMatchesMultipletestsFdrBh()
    {
        int lists = 0;
        foreach (var list in Root.GetProperty("benjamini_hochberg").EnumerateArray())
        {
            var q = FalseDiscoveryRate.BenjaminiHochberg(Numbers(list.GetProperty("p")));
            var expected = Numbers(list.GetProperty("q"));
            Assert.Equal(expected.Length, q.Length);
            for (int i = 0; i < q.Length; i++) Close(expected[i], q[i], $"list {lists} q[{i}]");
            lists++;
        }
        Assert.Equal(3, lists);
    }

    [Fact]
    public void SpearmanAndKendallTauBMatchScipyWithTies()
    {
        foreach (var s in Root.GetProperty("rank_correlation").EnumerateArray())
        {
            var x = Numbers(s.GetProperty("x")); var y = Numbers(s.GetProperty("y"));
            Close(Number(s.GetProperty("spearman")), RankCorrelation.Spearman(x, y), $"spearman n={x.Length}");
            Close(Number(s.GetProperty("kendall_tau_b")), RankCorrelation.KendallTauB(x, y), $"kendall n={x.Length}");
        }
    }

    [Fact]
    public void PairedTMatchesScipyTtestRel()
    {
        foreach (var s in Root.GetProperty("paired_t").EnumerateArray())
        {
            var x = Numbers(s.GetProperty("side1")).Select(v => (double)(float)v).ToArray();
            var y = Numbers(s.GetProperty("side2")).Select(v => (double)(float)v).ToArray();
            // One (layer, expert), each token its own "pair" of one token: the statistic pools tokens anyway.
            var test = new PairedTTest(1, 1);
            for (int i = 0; i < x.Length; i++) test.AddPair(x.AsSpan(i, 1), y.AsSpan(i, 1));
            var result = test.Result(0, 0);
            Assert.Equal(x.Length, result.Count);
            Close(Number(s.GetProperty("t")), result.T, $"t n={x.Length}");
            Close(Number(s.GetProperty("p")), result.P, $"p n={x.Length}");
        }
    }
}
