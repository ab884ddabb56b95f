using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using SteerMoE.Research.Detection.Collection;
using SteerMoE.Research.Detection.Pairs;
using SteerMoE.Research.Detection.Probe;
using SteerMoE.Research.Inference.Models;
using SteerMoE.Research.Tests;
using Xunit.Abstractions;

namespace SteerMoE.Research.Detection.Tests.Probe;

/// <summary>The probe detector (Detection/Probe): folds, AUC, and what it finds on the embedded default model.</summary>
public class ProbeTests(ITestOutputHelper output)
{
    /// <summary>Per-pair counts of a detection run of models/default on tools/default-model/data/{behaviour}.pairs.jsonl (once per test process).</summary>
    private static readonly Dictionary<string, Lazy<PairCounts>> DefaultRuns = new[] { "counting", "faithfulness", "safety" }.ToDictionary(b => b, b => new Lazy<PairCounts>(() =>
        PairCountsFile.Load(DefaultRunDirectory(b))));

    /// <summary>The folder of that detection run (counted once per process and behaviour).</summary>
    private static string DefaultRunDirectory(string behaviour) => DefaultRunDirectories[behaviour].Value;

    private static readonly Dictionary<string, Lazy<string>> DefaultRunDirectories = new[] { "counting", "faithfulness", "safety" }.ToDictionary(b => b, b => new Lazy<string>(() =>
    {
        string dir = RepoPaths.TempDir("probe-" + b);
        using var model = MoeModel.Load(RepoPaths.Get("models", "default"));
        var result = RoutingCollector.Collect(model, RepoPaths.Get("tools", "default-model", "data", b + ".pairs.jsonl"), dir, new CollectionOptions());
        Assert.True(result.Completed);
        return dir;
    }));

    /// <summary>models/default/planted_experts.json: (layer, expert, +1 for side 1 / −1 for side 2) of a behaviour.</summary>
    private static (int Layer, int Expert, int Sign)[] Planted(string behaviour)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Get("models", "default", "planted_experts.json")));
        var groups = doc.RootElement.GetProperty("groups").EnumerateArray().Select(g => g.GetString()).ToList();
        return doc.RootElement.GetProperty("layers").EnumerateObject().SelectMany(l => new[] { 1, 2 }.Select(side =>
            (int.Parse(l.Name), l.Value[groups.IndexOf($"{behaviour}/{side}")].GetInt32(), side == 1 ? 1 : -1))).ToArray();
    }

    /// <summary>A small hand-made table: <paramref name="pairs"/> pairs, 2 layers × 3 experts, top-1, side 1 leaning to expert 0.</summary>
    private static PairCounts Small(int pairs)
    {
        var counts = new PairCounts(pairs, 2, 3);
        for (int p = 0; p < pairs; p++)
        {
            counts.Add(p, 1, 4, [3, 1, 0, 2, 1, 1]);
            counts.Add(p, 2, 5, [p % 3, 5 - p % 3, 0, 1, 2, 2]);
        }
        return counts;
    }

    [Fact]
    public void FoldsKeepBothSidesOfAPairTogetherAreBalancedAndFollowTheSeed()
    {
        var counts = Small(11);
        var fold = ProbeFolds.Assign(11, 3, new Random(7));
        Assert.Equal(fold, ProbeFolds.Assign(11, 3, new Random(7)));
        Assert.NotEqual(fold, ProbeFolds.Assign(11, 3, new Random(8)));
        Assert.Equal([4, 4, 3], Enumerable.Range(0, 3).Select(f => fold.Count(x => x == f)));
        var ml = new MLContext(0);
        for (int f = 0; f < 3; f++)
        {
            // The probe's training and held-out views of fold f: no pair on both sides of the split, both sides of each held-out pair held out.
            var train = RoutingFeatures.ToDataView(ml, counts, Enumerable.Range(0, 11).Where(p => fold[p] != f)).GetColumn<int>(RoutingFeatures.PairColumn).ToArray();
            var test = RoutingFeatures.ToDataView(ml, counts, Enumerable.Range(0, 11).Where(p => fold[p] == f));
            var testPairs = test.GetColumn<int>(RoutingFeatures.PairColumn).ToArray();
            Assert.Empty(train.Intersect(testPairs));
            Assert.All(testPairs.GroupBy(p => p), g => Assert.Equal(2, g.Count()));
            Assert.Equal(testPairs.Length / 2, test.GetColumn<bool>(RoutingFeatures.LabelColumn).Count(l => l));
        }
        var probe = ProbeDetector.Fit(counts, new ProbeOptions { Folds = 3 }, new Random(7));
        Assert.Equal(fold, probe.Fold);
        Assert.All(probe.Weights, w => Assert.True(double.IsFinite(w)));   // L0E2 is 0 on every side: a constant feature
        Assert.Equal(0, probe.Weights[2]);
        Assert.Throws<ArgumentException>(() => ProbeDetector.Fit(counts, new ProbeOptions { Folds = 6 }, new Random(7)));   // a fold of one pair
    }

    [Fact]
    public void FeaturesAreTheSharesOfEachSidesTokensWithSlotNames()
    {
        var counts = Small(2);
        var view = RoutingFeatures.ToDataView(new MLContext(0), counts);
        var rows = view.GetColumn<float[]>(RoutingFeatures.FeaturesColumn).ToArray();
        Assert.Equal([0.75f, 0.25f, 0f, 0.5f, 0.25f, 0.25f], rows[0]);
        Assert.Equal([1 / 5f, 4 / 5f, 0f, 0.2f, 0.4f, 0.4f], rows[3]);
        Assert.Equal([true, false, true, false], view.GetColumn<bool>(RoutingFeatures.LabelColumn));
        Assert.Equal([1, 2, 1, 2], view.GetColumn<int>(RoutingFeatures.SideColumn));
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        view.Schema[RoutingFeatures.FeaturesColumn].GetSlotNames(ref names);
        Assert.Equal(["L0E0", "L0E1", "L0E2", "L1E0", "L1E1", "L1E2"], names.DenseValues().Select(n => n.ToString()));
    }

    /// <summary>
    /// By hand: side 1 scores 0.9, 0.4, 0.6 and side 2 scores 0.3, 0.5, 0.6 (pairs 1-3). Of the 9 comparisons 6 are won
    /// and one tied, AUC = 6.5/9 = 13/18. Placements V10 = 1, 1/3, 5/6 and V01 = 1, 2/3, 1/2, so the per-pair
    /// deviations V10 + V01 − 2·13/18 are 10/18, −8/18, −2/18; SE² = (100 + 64 + 4)/324 / (3 · 2) = 7/81.
    /// </summary>
    [Fact]
    public void PairedAucAndItsClusteredDeLongErrorEqualAHandComputedValue()
    {
        var a = RocAuc.Paired([0.9, 0.4, 0.6], [0.3, 0.5, 0.6]);
        Assert.Equal(13.0 / 18, a.Auc, 12);
        Assert.Equal(Math.Sqrt(7.0 / 81), a.StandardError, 12);
        Assert.Equal(13.0 / 18 - RocAuc.Z95 * Math.Sqrt(7.0 / 81), a.Low, 12);
        Assert.Equal(1, a.High);   // clipped
        Assert.Throws<ArgumentException>(() => RocAuc.Paired([0.5], [0.4]));
        Assert.Throws<ArgumentException>(() => RocAuc.Paired([0.5, 1], [0.4]));
    }

    /// <summary>The point estimate is the usual AUC: ML.NET's evaluator gives the same on the same scores.</summary>
    [Fact]
    public void PairedAucEqualsMlNetsAucOfTheSameScores()
    {
        var random = new Random(3);
        double[] s1 = Enumerable.Range(0, 40).Select(_ => Math.Round(random.NextDouble() + 0.3, 1)).ToArray();
        double[] s2 = Enumerable.Range(0, 40).Select(_ => Math.Round(random.NextDouble(), 1)).ToArray();   // rounded: ties too
        var ml = new MLContext(0);
        var view = ml.Data.LoadFromEnumerable(s1.Select(s => new Scored { Label = true, Score = (float)s, PredictedLabel = s > 0.5 })
            .Concat(s2.Select(s => new Scored { Label = false, Score = (float)s, PredictedLabel = s > 0.5 })));
        double expected = ml.BinaryClassification.EvaluateNonCalibrated(view).AreaUnderRocCurve;
        Assert.Equal(expected, RocAuc.Paired(s1, s2).Auc, 6);
    }

    /// <summary>
    /// The IDataView entry point in a user's own ML.NET pipeline: the run folder's features, a train/test split that keeps
    /// both sides of a pair on one side of it (sampling key Pair), ML.NET's own normaliser and SDCA logistic regression;
    /// ML.NET's evaluator gives a held-out AUC above 0.95 on counting, and the split holds no pair in both parts.
    /// </summary>
    [Fact]
    public void RoutingFeaturesFromARunFolderServeAUsersOwnPipeline()
    {
        var ml = new MLContext(seed: 1);
        var context = new SteerMoEContext(0);
        var data = context.Detection.LoadRoutingFeatures(ml, DefaultRunDirectory("counting"));
        Assert.Equal(2 * DefaultRuns["counting"].Value.PairCount, data.GetColumn<int>(RoutingFeatures.PairColumn).Count());
        var split = ml.Data.TrainTestSplit(data, testFraction: 0.3, samplingKeyColumnName: RoutingFeatures.PairColumn, seed: 1);
        var trainPairs = split.TrainSet.GetColumn<int>(RoutingFeatures.PairColumn).ToHashSet();
        var testPairs = split.TestSet.GetColumn<int>(RoutingFeatures.PairColumn).ToArray();
        Assert.NotEmpty(testPairs);
        Assert.DoesNotContain(testPairs, trainPairs.Contains);
        var model = ml.Transforms.NormalizeMinMax(RoutingFeatures.FeaturesColumn)
            .Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression(RoutingFeatures.LabelColumn, RoutingFeatures.FeaturesColumn))
            .Fit(split.TrainSet);
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(split.TestSet), RoutingFeatures.LabelColumn);
        output.WriteLine($"counting, SDCA on a pair-grouped 70/30 split: held-out AUC {metrics.AreaUnderRocCurve:F4}");
        Assert.True(metrics.AreaUnderRocCurve > 0.95, $"AUC {metrics.AreaUnderRocCurve}");
    }

    /// <summary>
    /// The catalog's probe draws its folds from the context stream <c>detection/probe-folds</c>: the same seed gives the
    /// same folds and weights, another seed other folds.
    /// </summary>
    [Fact]
    public void CatalogProbeFoldsFollowTheContextSeed()
    {
        var counts = DefaultRuns["safety"].Value;
        var a = new SteerMoEContext(3).Detection.Probe(counts);
        var b = new SteerMoEContext(3).Detection.Probe(counts);
        var c = new SteerMoEContext(4).Detection.Probe(counts);
        Assert.Equal(a.Fold, b.Fold);
        Assert.Equal(a.Weights, b.Weights);
        Assert.Equal(a.CrossValidated, b.CrossValidated);
        Assert.NotEqual(a.Fold, c.Fold);
        Assert.Equal(ProbeFolds.Assign(counts.PairCount, 5, new SteerMoEContext(3).CreateRandom("detection/probe-folds")), a.Fold);
    }

    private sealed class Scored
    {
        public bool Label { get; set; }
        public float Score { get; set; }
        public bool PredictedLabel { get; set; }   // the evaluator requires the column; the AUC does not read it
    }

    /// <summary>
    /// On each behaviour of models/default the probe separates the sides out of fold (AUC = 1 with a 95% interval above
    /// 0.9) and every planted expert carries its side's sign among the 10 largest of the 32 weights, the largest one
    /// being planted. (The weaker planted expert of layer 1 ranks 4th to 9th: the shares of a layer sum to k, and the
    /// penalty spreads the layer's weight over its experts.)
    /// </summary>
    [Theory]
    [InlineData("counting")]
    [InlineData("faithfulness")]
    [InlineData("safety")]
    public void OnTheDefaultModelTheProbeSeparatesTheSidesAndWeighsThePlantedExperts(string behaviour)
    {
        var counts = DefaultRuns[behaviour].Value;
        var probe = ProbeDetector.Fit(counts, new ProbeOptions(), new Random(0));
        var order = PairResampling.OrderByMagnitude(probe.Weights.ToArray());
        var planted = Planted(behaviour);
        output.WriteLine($"{behaviour}: {counts.PairCount} pairs, cross-validated AUC {probe.CrossValidated.Auc:F4} [{probe.CrossValidated.Low:F4}, {probe.CrossValidated.High:F4}], " +
                         $"planted ranks {string.Join(", ", planted.Select(t => Array.IndexOf(order, t.Layer * counts.Experts + t.Expert) + 1))}");
        Assert.True(probe.CrossValidated.Low > 0.9, $"AUC interval {probe.CrossValidated.Low}..{probe.CrossValidated.High}");
        Assert.Contains((order[0] / counts.Experts, order[0] % counts.Experts), planted.Select(t => (t.Layer, t.Expert)));
        foreach (var (layer, expert, sign) in planted)
        {
            int k = layer * counts.Experts + expert;
            Assert.Equal(sign, Math.Sign(probe.Weights[k]));
            Assert.InRange(Array.IndexOf(order, k), 0, 9);
        }
    }

    /// <summary>
    /// Sides swapped at random within pairs (seeded): the cross-validated AUC's interval covers 0.5. Over 20 shuffles of
    /// counting the interval covered 0.5 in 17 (mean AUC 0.47): the interval is a little narrow for CV scores, as said
    /// in docs/CONTRACTS.md §6.
    /// </summary>
    [Theory]
    [InlineData("counting")]
    [InlineData("faithfulness")]
    [InlineData("safety")]
    public void WithSidesShuffledWithinPairsTheAucIntervalCoversOneHalf(string behaviour)
    {
        var shuffled = DefaultRuns[behaviour].Value.WithSidesPermuted(new Random(0));
        var probe = ProbeDetector.Fit(shuffled, new ProbeOptions(), new Random(0));
        output.WriteLine($"{behaviour}, shuffled: AUC {probe.CrossValidated.Auc:F4} [{probe.CrossValidated.Low:F4}, {probe.CrossValidated.High:F4}]");
        Assert.InRange(0.5, probe.CrossValidated.Low, probe.CrossValidated.High);
    }
}
