namespace SteerMoE.Research.Detection.Ranking;

/// <summary>
/// A score by which experts are ranked (by magnitude): its id on the command line (`--metric`), the
/// ranking.csv column that holds it, and how to read it from an expert's statistics (docs/CONTRACTS.md §6).
/// </summary>
public sealed record DetectionMetric(string Id, string Column, string Meaning, Func<ExpertStatistics, double> Score)
{
    /// <summary>Every metric, in the order of §6.</summary>
    public static readonly IReadOnlyList<DetectionMetric> All =
    [
        new("rd", "risk_diff", "risk difference a1/n1 − a2/n2 (the paper's score)", s => s.RiskDifference),
        new("log-or", "log_odds_ratio", "log odds ratio, 0.5 added to every cell (the authors' column)", s => s.LogOddsRatio),
        new("log-or-raw", "log_odds_ratio_raw", "log odds ratio without correction (±inf or nan with a zero cell)", s => s.LogOddsRatioRaw),
        new("log-rr", "log_relative_risk", "log relative risk log((a1/n1)/(a2/n2)) (±inf or nan with a zero activation count)", s => s.LogRelativeRisk),
        new("fisher", "fisher_log10_p", "log10 of the two-sided Fisher exact p-value (most significant first)", s => s.FisherLog10P),
        new("probe", "probe_weight", "weight of the expert's standardised routing share in the L1 logistic-regression probe of side 1 vs side 2 (Detection/Probe; needs the per-pair counts)",
            s => s.ProbeWeight) { NeedsPairCounts = true },
    ];

    /// <summary>
    /// True when the score is not a function of the pooled counts but of the per-pair counts of a detect run
    /// (pair_counts.npy): it is computed only where they are given.
    /// </summary>
    public bool NeedsPairCounts { get; init; }

    /// <summary>The error for a metric that needs the per-pair counts where none were given; <paramref name="flag"/> names the option that gives them.</summary>
    public ArgumentException MissingPairCounts(string option = "--metric", string flag = "--pair-counts") =>
        new($"{option} {Id}: the {Column} column is computed from the per-pair counts of a detect run (RUN_DIR/pair_counts.npy, with pair_tokens.npy beside it); give {flag} RUN_DIR/pair_counts.npy.");

    /// <summary>The metric with this id; an error listing the known ids otherwise.</summary>
    public static DetectionMetric Get(string id, string option = "--metric") =>
        All.FirstOrDefault(m => m.Id == id)
        ?? throw new ArgumentException($"{option}: unknown metric id '{id}'; known ids: {string.Join(", ", All.Select(m => m.Id))}.");

    /// <summary>Parses a comma-separated list of ids (e.g. "rd,log-or"), each known, none twice.</summary>
    public static IReadOnlyList<DetectionMetric> ParseList(string ids)
    {
        var list = ids.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(id => Get(id, "--metrics")).ToList();
        if (list.Count == 0) throw new ArgumentException($"--metrics: '{ids}' names no metric; known ids: {string.Join(", ", All.Select(m => m.Id))}.");
        var twice = list.GroupBy(m => m.Id).FirstOrDefault(g => g.Count() > 1);
        if (twice != null) throw new ArgumentException($"--metrics: '{twice.Key}' is named twice.");
        return list;
    }

    /// <summary>The ranking key: |score|, with NaN below every number (ranked last).</summary>
    public double Magnitude(ExpertStatistics s) => MagnitudeOf(Score(s));

    /// <summary>|score|, NaN mapped to −1 so that it ranks below every number.</summary>
    public static double MagnitudeOf(double score) => double.IsNaN(score) ? -1 : Math.Abs(score);
}
