using SteerMoE.Research.Detection.Statistics;

namespace SteerMoE.Research.Evaluation;

/// <summary>A rate with its Wilson 95% score interval.</summary>
/// <param name="Count">Outputs scoring 1.</param>
/// <param name="Total">Outputs scored.</param>
/// <param name="Low">Lower bound.</param>
/// <param name="High">Upper bound.</param>
public readonly record struct RateSummary(int Count, int Total, double Low, double High)
{
    /// <summary>Count / Total (NaN when nothing was scored).</summary>
    public double Rate => Total == 0 ? double.NaN : (double)Count / Total;

    /// <summary>z of a two-sided 95% interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>Summarises 0/1 outcomes.</summary>
    public static RateSummary Of(IEnumerable<bool> outcomes)
    {
        int count = 0, total = 0;
        foreach (bool o in outcomes) { total++; if (o) count++; }
        var (low, high) = Wilson(count, total);
        return new RateSummary(count, total, low, high);
    }

    /// <summary>Wilson score interval of count/n (Detection's ProportionIntervals.Wilson, as statsmodels' proportion_confint(method='wilson')); NaN bounds when n is 0.</summary>
    public static (double Low, double High) Wilson(long count, long n, double z = Z95) =>
        n == 0 ? (double.NaN, double.NaN) : ProportionIntervals.Wilson(count, n, z);
}
