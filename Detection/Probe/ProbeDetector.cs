using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using SteerMoE.Research.Data.Files;
using SteerMoE.Research.Data.Tables;
using SteerMoE.Research.Detection.Pairs;

namespace SteerMoE.Research.Detection.Probe;

/// <summary>
/// What the probe found: a weight per (layer, expert) from the fit on every pair, and the cross-validated AUC of
/// telling side 1 from side 2 by the routing shares (docs/CONTRACTS.md §6 `probe`, probe.csv, probe.json).
/// </summary>
public sealed class ProbeResult
{
    internal ProbeResult(int layers, int experts, double[] weights, double bias, int[] fold, double[] side1, double[] side2,
        AucEstimate crossValidated, IReadOnlyList<AucEstimate> perFold, ProbeOptions options)
    {
        Layers = layers; Experts = experts; Weights = weights; Bias = bias; Fold = fold;
        OutOfFoldSide1 = side1; OutOfFoldSide2 = side2; CrossValidated = crossValidated; PerFold = perFold; Options = options;
    }

    /// <summary>probe.csv: one row per fold, then the row <c>all</c>.</summary>
    public const string CsvName = "probe.csv";
    /// <summary>probe.json: the settings and the cross-validated AUC.</summary>
    public const string SummaryName = "probe.json";
    /// <summary>probe.csv's columns.</summary>
    public static readonly string[] Columns = ["fold", "pairs", "auc", "auc_lo", "auc_hi", "auc_se"];

    /// <summary>Decoder layers.</summary>
    public int Layers { get; }
    /// <summary>Experts per layer.</summary>
    public int Experts { get; }
    /// <summary>
    /// Weight of each (layer, expert)'s standardised share in the model fit on every pair, [L*E]; positive = the expert
    /// takes more of side 1's tokens (as RD), 0 where the L1 penalty dropped it.
    /// </summary>
    public IReadOnlyList<double> Weights { get; }
    /// <summary>Intercept of that model.</summary>
    public double Bias { get; }
    /// <summary>The fold of each pair.</summary>
    public IReadOnlyList<int> Fold { get; }
    /// <summary>Side 1's score (the linear margin) from the model that did not see its pair, per pair.</summary>
    public IReadOnlyList<double> OutOfFoldSide1 { get; }
    /// <summary>Side 2's out-of-fold score, per pair.</summary>
    public IReadOnlyList<double> OutOfFoldSide2 { get; }
    /// <summary>AUC of all out-of-fold scores together, with the clustered DeLong 95% interval.</summary>
    public AucEstimate CrossValidated { get; }
    /// <summary>AUC of each fold's held-out pairs.</summary>
    public IReadOnlyList<AucEstimate> PerFold { get; }
    /// <summary>The settings used.</summary>
    public ProbeOptions Options { get; }

    /// <summary>probe.csv as a table (numbers round-trip).</summary>
    public CsvTable ToCsv(string source = CsvName)
    {
        static string[] Row(string fold, AucEstimate a) =>
            [fold, a.Pairs.ToString(CultureInfo.InvariantCulture), CsvTable.Format(a.Auc), CsvTable.Format(a.Low), CsvTable.Format(a.High), CsvTable.Format(a.StandardError)];
        var rows = PerFold.Select((a, i) => Row(i.ToString(CultureInfo.InvariantCulture), a)).Append(Row("all", CrossValidated)).ToList();
        return new CsvTable(Columns, rows, source);
    }

    /// <summary>probe.json's content; <paramref name="seed"/> is the context seed the fold stream derives from.</summary>
    public JsonObject Summary(int seed) => new()
    {
        ["format"] = "steermoe-probe/1",
        ["trainer"] = "ML.NET LbfgsLogisticRegression (L-BFGS, one thread), features NormalizeMeanVariance",
        ["features"] = "share of the side's span tokens routed to each (layer, expert)",
        ["label"] = "side 1 (messages_0) = true",
        ["pairs"] = Fold.Count, ["layers"] = Layers, ["experts"] = Experts,
        ["folds"] = Options.Folds, ["fold_grouping"] = "pair", ["seed"] = seed, ["fold_stream"] = Options.FoldStream,
        ["l1_regularization"] = Options.L1Regularization, ["l2_regularization"] = Options.L2Regularization,
        ["auc"] = CrossValidated.Auc, ["auc_lo"] = CrossValidated.Low, ["auc_hi"] = CrossValidated.High, ["auc_se"] = CrossValidated.StandardError,
        ["interval"] = "95% normal, DeLong variance clustered by pair, over the pooled out-of-fold scores",
        ["nonzero_weights"] = Weights.Count(w => w != 0), ["bias"] = Bias,
    };

    /// <summary>Writes probe.csv and probe.json into <paramref name="directory"/>, atomically; returns their paths.</summary>
    public IReadOnlyList<string> Save(string directory, int seed)
    {
        string csv = Path.Combine(directory, CsvName), json = Path.Combine(directory, SummaryName);
        ToCsv(csv).Save(csv);
        AtomicFile.WriteAllText(json, Summary(seed).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        return [csv, json];
    }
}

/// <summary>
/// The multivariate detector: L1-regularised logistic regression (ML.NET's L-BFGS trainer) of the side label on the
/// routing shares of each pair's two sides (<see cref="RoutingFeatures"/>), features standardised. k-fold
/// cross-validation grouped by pair (<see cref="ProbeFolds"/>) gives out-of-fold scores and their AUC
/// (<see cref="RocAuc.Paired"/>); the model fit on every pair gives the expert weights. Deterministic: the folds come
/// from the caller's stream, L-BFGS starts from zero weights on one thread.
/// </summary>
public static class ProbeDetector
{
    /// <summary>Fits the probe on <paramref name="counts"/>; folds drawn from <paramref name="foldRandom"/>.</summary>
    public static ProbeResult Fit(PairCounts counts, ProbeOptions options, Random foldRandom)
    {
        options.Validate();
        int pairs = counts.PairCount;
        if (pairs < 2 * options.Folds)
            throw new ArgumentException($"probe: {pairs} pairs for {options.Folds} folds; each fold needs at least 2 pairs (give fewer --probe-folds or more pairs).");
        var fold = ProbeFolds.Assign(pairs, options.Folds, foldRandom);
        var ml = new MLContext(seed: 0);
        var side1 = new double[pairs]; var side2 = new double[pairs];
        var perFold = new List<AucEstimate>();
        for (int f = 0; f < options.Folds; f++)
        {
            var test = Enumerable.Range(0, pairs).Where(p => fold[p] == f).ToArray();
            var model = Pipeline(ml, options).Fit(RoutingFeatures.ToDataView(ml, counts, Enumerable.Range(0, pairs).Where(p => fold[p] != f)));
            var scores = model.Transform(RoutingFeatures.ToDataView(ml, counts, test)).GetColumn<float>("Score").ToArray();
            for (int i = 0; i < test.Length; i++) { side1[test[i]] = scores[2 * i]; side2[test[i]] = scores[2 * i + 1]; }   // rows: side 1, side 2 per pair
            perFold.Add(RocAuc.Paired(test.Select(p => side1[p]).ToArray(), test.Select(p => side2[p]).ToArray()));
        }
        var all = Pipeline(ml, options).Fit(RoutingFeatures.ToDataView(ml, counts));
        var linear = all.LastTransformer.Model.SubModel;
        return new ProbeResult(counts.Layers, counts.Experts, linear.Weights.Select(w => (double)w).ToArray(), linear.Bias, fold,
            side1, side2, RocAuc.Paired(side1, side2), perFold, options);
    }

    private static EstimatorChain<BinaryPredictionTransformer<CalibratedModelParametersBase<LinearBinaryModelParameters, PlattCalibrator>>> Pipeline(MLContext ml, ProbeOptions options) =>
        ml.Transforms.NormalizeMeanVariance(RoutingFeatures.FeaturesColumn, fixZero: false)
            .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
            {
                LabelColumnName = RoutingFeatures.LabelColumn, FeatureColumnName = RoutingFeatures.FeaturesColumn,
                L1Regularization = options.L1Regularization, L2Regularization = options.L2Regularization, NumberOfThreads = 1,
            }));
}
