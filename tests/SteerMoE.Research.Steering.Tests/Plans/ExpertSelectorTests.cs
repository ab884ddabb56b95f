using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Steering.Plans;

namespace SteerMoE.Research.Steering.Tests.Plans;

public class ExpertSelectorTests
{
    // 3 layers x 4 experts. Global order by |risk_diff| (ties by layer, then expert):
    //   positive: (0,0) .5, (1,0) .45, (0,1) .4, (0,2) .3, (2,1) .3, (2,2) .05
    //   negative: (1,1) -.5, (2,0) -.4, (2,3) -.3, (1,3) -.2, (0,3) -.1      ((1,2) is 0: neither sign)
    internal const string Table =
        "layer,expert,a1,risk_diff,fisher_q\n" +
        "0,0,1,0.5,0.2\n0,1,1,0.4,0.01\n0,2,1,0.3,0.01\n0,3,1,-0.1,0.01\n" +
        "1,0,1,0.45,0.01\n1,1,1,-0.5,0.5\n1,2,1,0,0.01\n1,3,1,-0.2,0.01\n" +
        "2,0,1,-0.4,0.01\n2,1,1,0.3,0.01\n2,2,1,0.05,0.01\n2,3,1,-0.3,0.01\n";

    internal static ExpertRanking Ranking(string? qColumn = null) =>
        ExpertRanking.FromCsv(CsvTable.Parse(new StringReader(Table), "ranking.csv"), "risk_diff", qColumn);

    private static (int Layer, int Expert)[] Activated(SteeringPlan plan) =>
        plan.Layers.SelectMany(l => l.Value.Activate.Select(e => (l.Key, e.Expert))).ToArray();

    private static (int Layer, int Expert)[] Deactivated(SteeringPlan plan) =>
        plan.Layers.SelectMany(l => l.Value.Deactivate.Select(e => (l.Key, e.Expert))).ToArray();

    [Fact]
    public void AuthorsSkipActivationsBeyondTheCapWithoutReplacingThem()
    {
        var plan = ExpertSelector.Select(Ranking(), new PlanRequest(4, 2, Cap: 2));
        // (0,2) is the 4th positive row but layer 0 already has 2: skipped, and (2,1) does not take its place.
        Assert.Equal([(0, 0), (0, 1), (1, 0)], Activated(plan));
        Assert.Equal([(1, 1), (2, 0)], Deactivated(plan));
        var p = plan.Provenance!;
        Assert.Equal((4, 2, 3, 2, 1, 2), (p.ActivateRequested, p.DeactivateRequested, p.ActivateApplied, p.DeactivateApplied, p.ActivateDroppedByCap, p.Cap));
        Assert.Equal("authors", p.Strategy);
        Assert.Equal("risk_diff", p.Column);
    }

    [Fact]
    public void TiesOnAbsoluteScoreAreBrokenByLayerThenExpert()
    {
        // |0.3| three times: (0,2)+, (2,1)+, (2,3)-. With room under the cap, N = 4 takes (0,2) before (2,1).
        var plan = ExpertSelector.Select(Ranking(), new PlanRequest(4, 3, Cap: 3), new ModelShape(3, 8, 3));
        Assert.Equal([(0, 0), (0, 1), (0, 2), (1, 0)], Activated(plan));
        Assert.Equal([(1, 1), (2, 0), (2, 3)], Deactivated(plan));
        var order = ExpertSelector.GlobalOrder(Ranking().Rows).Select(r => (r.Layer, r.Expert)).ToArray();
        Assert.Equal([(0, 0), (1, 1), (1, 0), (0, 1), (2, 0), (0, 2), (2, 1), (2, 3), (1, 3), (0, 3), (2, 2), (1, 2)], order);
    }

    [Fact]
    public void ReverseFlipsTheSignBeforeSelecting()
    {
        var plan = ExpertSelector.Select(Ranking(), new PlanRequest(3, 2, Cap: 2) { Reverse = true });
        Assert.Equal([(1, 1), (2, 0), (2, 3)], Activated(plan));
        Assert.Equal([(0, 0), (1, 0)], Deactivated(plan));
        Assert.True(plan.Provenance!.Reverse);
    }

    [Fact]
    public void EnoughRowsAreCheckedBeforeTheCap()
    {
        // 6 positive rows: N = 6 is allowed even though the cap then applies only 5.
        var plan = ExpertSelector.Select(Ranking(), new PlanRequest(6, 0, Cap: 2));
        Assert.Equal(5, plan.Provenance!.ActivateApplied);
        Assert.Equal(1, plan.Provenance.ActivateDroppedByCap);
        var e = Assert.Throws<ArgumentException>(() => ExpertSelector.Select(Ranking(), new PlanRequest(7, 0, Cap: 2)));
        Assert.Equal("ranking.csv: column 'risk_diff': --activate asks for 7 experts, but only 6 rows have a score > 0.", e.Message);
        e = Assert.Throws<ArgumentException>(() => ExpertSelector.Select(Ranking(), new PlanRequest(0, 7, Cap: 2) { Reverse = true }));
        Assert.Equal("ranking.csv: column 'risk_diff': --deactivate asks for 7 experts, but only 6 rows have a score < 0 after --reverse flips the sign.", e.Message);
    }

    [Fact]
    public void BottomControlTakesTheLastRowsOfEachSign()
    {
        var plan = ExpertSelector.Select(Ranking(), new PlanRequest(2, 2, Cap: 2) { Strategy = SelectionStrategy.Bottom });
        Assert.Equal([(2, 1), (2, 2)], Activated(plan));
        Assert.Equal([(0, 3), (1, 3)], Deactivated(plan));
        // Last 4 positives are (0,1), (0,2), (2,1), (2,2): none dropped; last 5 would add (1,0).
        plan = ExpertSelector.Select(Ranking(), new PlanRequest(5, 0, Cap: 1) { Strategy = SelectionStrategy.Bottom });
        Assert.Equal([(0, 1), (1, 0), (2, 1)], Activated(plan));
        Assert.Equal(2, plan.Provenance!.ActivateDroppedByCap);
    }

    [Fact]
    public void PerLayerTakesTheTopRowsOfEveryLayer()
    {
        var plan = ExpertSelector.Select(Ranking(), new PlanRequest(1, 1, Cap: 2) { Strategy = SelectionStrategy.PerLayer });
        Assert.Equal([(0, 0), (1, 0), (2, 1)], Activated(plan));
        Assert.Equal([(0, 3), (1, 1), (2, 0)], Deactivated(plan));
        Assert.Equal("per-layer", plan.Provenance!.CountScope);
        var e = Assert.Throws<ArgumentException>(() => ExpertSelector.Select(Ranking(), new PlanRequest(2, 0, Cap: 2) { Strategy = SelectionStrategy.PerLayer }));
        Assert.Equal("ranking.csv: column 'risk_diff', layer 1: --activate (per layer) asks for 2 experts, but only 1 rows have a score > 0.", e.Message);
    }

    [Fact]
    public void SignificantKeepsOnlyRowsBelowTheLevel()
    {
        // fisher_q: (0,0) 0.2 and (1,1) 0.5 are not significant at 0.05.
        var plan = ExpertSelector.Select(Ranking("fisher_q"), new PlanRequest(2, 1, Cap: 2) { Strategy = SelectionStrategy.Significant });
        Assert.Equal([(0, 1), (1, 0)], Activated(plan));
        Assert.Equal([(2, 0)], Deactivated(plan));
        Assert.Equal(("fisher_q", 0.05), (plan.Provenance!.SignificanceColumn, plan.Provenance.SignificanceLevel));
        var e = Assert.Throws<ArgumentException>(() => ExpertSelector.Select(Ranking(), new PlanRequest(2, 1, Cap: 2) { Strategy = SelectionStrategy.Significant }));
        Assert.Contains("needs a q-value column", e.Message);
        e = Assert.Throws<ArgumentException>(() => ExpertSelector.Select(Ranking("fisher_q"), new PlanRequest(0, 5, Cap: 2) { Strategy = SelectionStrategy.Significant }));
        Assert.Equal("ranking.csv: column 'risk_diff' with fisher_q < 0.05: --deactivate asks for 5 experts, but only 4 rows have a score < 0.", e.Message);
    }

    [Fact]
    public void RandomControlIsSeededExcludesTheRealPlanAndRespectsTheCap()
    {
        var request = new PlanRequest(4, 2, Cap: 2) { Strategy = SelectionStrategy.Random, Seed = 3, RandomStream = "random-control/cell" };
        var real = ExpertSelector.Select(Ranking(), request with { Strategy = SelectionStrategy.Authors });
        var realSet = Activated(real).Concat(Deactivated(real)).ToHashSet();
        var draws = new HashSet<string>();
        for (int seed = 0; seed < 40; seed++)
        {
            var plan = ExpertSelector.Select(Ranking(), request, random: new Random(seed));
            var again = ExpertSelector.Select(Ranking(), request, random: new Random(seed));
            Assert.Equal(plan.ToJson(), again.ToJson());
            Assert.Equal(3, Activated(plan).Length);   // the real plan's applied counts
            Assert.Equal(2, Deactivated(plan).Length);
            Assert.DoesNotContain(Activated(plan).Concat(Deactivated(plan)), realSet.Contains);
            Assert.All(plan.Layers.Values, l => Assert.True(l.Activate.Count <= 2));
            Assert.Equal(0, plan.Provenance!.ActivateDroppedByCap);
            Assert.Equal(("random", 3, "random-control/cell"), (plan.Provenance.Strategy, plan.Provenance.Seed, plan.Provenance.RandomStream));
            draws.Add(string.Join(";", Activated(plan)) + "|" + string.Join(";", Deactivated(plan)));
        }
        Assert.True(draws.Count > 5, $"only {draws.Count} distinct draws over 40 seeds");
        Assert.Throws<ArgumentException>(() => ExpertSelector.Select(Ranking(), request));
    }

    [Fact]
    public void RandomControlDrawsEveryCandidate()
    {
        // Over many seeds every expert outside the real plan is drawn at least once, and none inside it.
        var request = new PlanRequest(4, 2, Cap: 2) { Strategy = SelectionStrategy.Random };
        var seen = new HashSet<(int, int)>();
        for (int seed = 0; seed < 200; seed++)
        {
            var plan = ExpertSelector.Select(Ranking(), request, random: new Random(seed));
            seen.UnionWith(Activated(plan).Concat(Deactivated(plan)));
        }
        Assert.Equal([(0, 2), (0, 3), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)], seen.Order().ToArray());

        // With a model of 5 experts per layer, expert 4 (absent from the ranking) is a candidate too.
        seen.Clear();
        for (int seed = 0; seed < 200; seed++)
        {
            var plan = ExpertSelector.Select(Ranking(), request, new ModelShape(3, 5, 2), new Random(seed));
            seen.UnionWith(Activated(plan).Concat(Deactivated(plan)));
        }
        Assert.Equal([(0, 2), (0, 3), (0, 4), (1, 2), (1, 3), (1, 4), (2, 1), (2, 2), (2, 3), (2, 4)], seen.Order().ToArray());
    }

    [Fact]
    public void PlanIsCheckedAgainstTheModel()
    {
        // M = 5 deactivates (1,1) and (1,3): 2 of 4 experts of layer 1 leaves fewer than k = 3 to route to.
        var e = Assert.Throws<FormatException>(() => ExpertSelector.Select(Ranking(), new PlanRequest(0, 5, Cap: 2), new ModelShape(3, 4, 3)));
        Assert.Equal("ranking.csv: the selected plan: layer 1: deactivating 2 of 4 experts leaves fewer than k = 3 to route to.", e.Message);
        // A model with fewer layers or experts than the ranking names.
        e = Assert.Throws<FormatException>(() => ExpertSelector.Select(Ranking(), new PlanRequest(1, 1, Cap: 2), new ModelShape(1, 4, 2)));
        Assert.Equal("ranking.csv: the ranking has layers 0..2 and experts 0..3, but the model has layers 0..0 and experts 0..3: is it the ranking of another model?", e.Message);
        e = Assert.Throws<FormatException>(() => ExpertSelector.Select(Ranking(), new PlanRequest(1, 1, Cap: 2), new ModelShape(3, 3, 2)));
        Assert.Contains("but the model has layers 0..2 and experts 0..2", e.Message);
    }

    [Fact]
    public void BadRequestsAreRejected()
    {
        Assert.Contains("--activate", Assert.Throws<ArgumentException>(() => ExpertSelector.Select(Ranking(), new PlanRequest(-1, 0, 2))).Message);
        Assert.Contains("--cap", Assert.Throws<ArgumentException>(() => ExpertSelector.Select(Ranking(), new PlanRequest(1, 0, 0))).Message);
        Assert.Contains("--strength", Assert.Throws<ArgumentException>(() => ExpertSelector.Select(Ranking(), new PlanRequest(1, 0, 2) { Strength = 1.5 })).Message);
        Assert.Equal(SelectionStrategy.PerLayer, SelectionStrategies.Parse("per-layer"));
        Assert.Contains("expected one of authors, per-layer, significant, bottom, random", Assert.Throws<ArgumentException>(() => SelectionStrategies.Parse("top")).Message);
    }
}
