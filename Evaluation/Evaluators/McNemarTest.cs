using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace SteerMoE.Research.Evaluation;

/// <summary>The result of McNemar's test on paired 0/1 outcomes before and after an intervention.</summary>
/// <param name="Down">Discordant pairs 1 → 0 (b).</param>
/// <param name="Up">Discordant pairs 0 → 1 (c).</param>
/// <param name="Statistic">χ² with continuity correction, (|b − c| − 1)² / (b + c), or NaN for the exact test.</param>
/// <param name="PValue">Two-sided p-value.</param>
/// <param name="Exact">True when the exact binomial test was used.</param>
public readonly record struct McNemarResult(int Down, int Up, double Statistic, double PValue, bool Exact);

/// <summary>
/// McNemar's test for paired binary outcomes. With few discordant pairs (b + c &lt;= <see cref="ExactLimit"/>) the
/// exact binomial test: p = min(1, 2·P(X ≤ min(b, c))), X ~ Binomial(b + c, ½) (statsmodels'
/// <c>mcnemar(exact=True)</c>); above it the χ² test with continuity correction (<c>mcnemar(exact=False, correction=True)</c>).
/// </summary>
public static class McNemarTest
{
    /// <summary>Discordant counts up to which the exact test is used.</summary>
    public const int ExactLimit = 25;

    /// <summary>Tests paired outcomes (each 0 or 1) before and after.</summary>
    public static McNemarResult Test(IReadOnlyList<bool> before, IReadOnlyList<bool> after)
    {
        if (before.Count != after.Count) throw new ArgumentException($"McNemar: {before.Count} outcomes before but {after.Count} after; the pairs must match.");
        int down = 0, up = 0;
        for (int i = 0; i < before.Count; i++)
        {
            if (before[i] && !after[i]) down++;
            else if (!before[i] && after[i]) up++;
        }
        return FromDiscordant(down, up);
    }

    /// <summary>The test from the discordant counts b (1 → 0) and c (0 → 1).</summary>
    public static McNemarResult FromDiscordant(int down, int up, bool? exact = null)
    {
        if (down < 0 || up < 0) throw new ArgumentException($"McNemar: discordant counts must be >= 0, got {down} and {up}.");
        int n = down + up;
        if (n == 0) return new McNemarResult(down, up, double.NaN, 1.0, true);
        if (exact ?? n <= ExactLimit)
        {
            double p = 2 * Binomial.CDF(0.5, n, Math.Min(down, up));
            return new McNemarResult(down, up, double.NaN, Math.Min(1.0, p), true);
        }
        double stat = Math.Pow(Math.Abs(down - up) - 1.0, 2) / n;
        // χ²(1) survival: P(χ² > s) = erfc(sqrt(s / 2)).
        return new McNemarResult(down, up, stat, SpecialFunctions.Erfc(Math.Sqrt(stat / 2)), false);
    }
}
