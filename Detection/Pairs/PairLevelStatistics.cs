using SteerMoE.Research.Detection.Statistics;

namespace SteerMoE.Research.Detection.Pairs;

/// <summary>
/// The pair-level columns of ranking.csv (docs/CONTRACTS.md §6) for every (layer, expert): the authors' paired
/// t-statistic (from the run's matched pairs) and the resampling results over pairs (permutation p, cluster-bootstrap
/// interval of RD, top-N stability). A part that was not computed leaves its columns empty.
/// </summary>
public sealed class PairLevelStatistics
{
    /// <summary>The ranking.csv columns, in order.</summary>
    public static readonly string[] Columns =
        ["paired_t", "paired_t_df", "paired_t_p", "perm_p", "risk_diff_boot_lo", "risk_diff_boot_hi", "top_n_stability"];

    /// <summary>
    /// Columns for <paramref name="layers"/> × <paramref name="experts"/>: <paramref name="pairedT"/> null or with no
    /// difference (no matched pair) leaves the t columns empty; <paramref name="permutation"/> and
    /// <paramref name="bootstrap"/> null leave theirs empty. <paramref name="stabilityTop"/> is the N of top_n_stability
    /// (a key of the bootstrap's top-N frequencies).
    /// </summary>
    public PairLevelStatistics(int layers, int experts, PairedTTest? pairedT, PermutationResult? permutation, BootstrapResult? bootstrap, int stabilityTop)
    {
        int width = layers * experts;
        if (pairedT != null && (pairedT.Layers != layers || pairedT.Experts != experts))
            throw new ArgumentException($"paired t of {pairedT.Layers} × {pairedT.Experts}; the table has {layers} × {experts}.");
        if (permutation != null && permutation.P.Length != width) throw new ArgumentException($"permutation result of {permutation.P.Length} experts; the table has {width}.");
        if (bootstrap != null && (bootstrap.Low.Length != width || !bootstrap.TopNFrequency.ContainsKey(stabilityTop)))
            throw new ArgumentException($"bootstrap result of {bootstrap.Low.Length} experts without top-{stabilityTop} frequencies; the table has {width}.");
        Layers = layers; Experts = experts;
        PairedT = pairedT is { Count: > 0 } ? pairedT : null;
        Permutation = permutation; Bootstrap = bootstrap; StabilityTop = stabilityTop;
    }

    /// <summary>Decoder layers.</summary>
    public int Layers { get; }
    /// <summary>Experts per layer.</summary>
    public int Experts { get; }
    /// <summary>The paired t accumulator; null when no pair matched.</summary>
    public PairedTTest? PairedT { get; }
    /// <summary>The permutation test over pairs, or null.</summary>
    public PermutationResult? Permutation { get; }
    /// <summary>The cluster bootstrap over pairs, or null.</summary>
    public BootstrapResult? Bootstrap { get; }
    /// <summary>The N of top_n_stability.</summary>
    public int StabilityTop { get; }

    /// <summary>
    /// Permutation test and cluster bootstrap of <paramref name="counts"/> with <paramref name="resamples"/> resamples
    /// each (0: neither), on the two given random streams; with the paired t of the run (or null).
    /// </summary>
    public static PairLevelStatistics Compute(PairCounts counts, PairedTTest? pairedT, int resamples, int stabilityTop, Random permutationRandom, Random bootstrapRandom)
    {
        PairInferenceOptions.Check(resamples, stabilityTop);
        if (resamples == 0) return new PairLevelStatistics(counts.Layers, counts.Experts, pairedT, null, null, stabilityTop);
        var permutation = PairResampling.PermutationTest(counts, resamples, permutationRandom);
        var bootstrap = PairResampling.ClusterBootstrap(counts, resamples, bootstrapRandom, [stabilityTop]);
        return new PairLevelStatistics(counts.Layers, counts.Experts, pairedT, permutation, bootstrap, stabilityTop);
    }

    /// <summary>The cells of one (layer, expert), in <see cref="Columns"/> order (empty where not computed).</summary>
    public string[] Cells(int layer, int expert)
    {
        int i = layer * Experts + expert;
        var cells = new string[Columns.Length];
        Array.Fill(cells, "");
        if (PairedT != null)
        {
            var t = PairedT.Result(layer, expert);
            cells[0] = F(t.T); cells[1] = t.DegreesOfFreedom.ToString(System.Globalization.CultureInfo.InvariantCulture); cells[2] = F(t.P);
        }
        if (Permutation != null) cells[3] = F(Permutation.P[i]);
        if (Bootstrap != null)
        {
            cells[4] = F(Bootstrap.Low[i]); cells[5] = F(Bootstrap.High[i]);
            cells[6] = F(Bootstrap.TopNFrequency[StabilityTop][i]);
        }
        return cells;
    }

    private static string F(double v) => Data.Tables.CsvTable.Format(v);
}
