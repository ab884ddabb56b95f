using MathNet.Numerics;

namespace SteerMoE.Research.Detection.Statistics;

/// <summary>A two-sided Fisher exact p-value and its natural log (finite even where the p-value underflows to 0).</summary>
public readonly record struct FisherExactResult(double P, double LogP)
{
    /// <summary>log10 of the p-value (≤ 0): the `fisher` metric ranks by its magnitude.</summary>
    public double Log10P => LogP / Math.Log(10);
}

/// <summary>
/// Two-sided Fisher exact test of a 2x2 table [[a1, d1], [a2, d2]], exact for any table size. Under the null,
/// a1 follows the hypergeometric law with N = n1 + n2 tables' tokens, n1 successes-in-population and a1 + a2
/// draws. The p-value is the probability of all tables whose pmf is at most pmf(observed)·(1 + 1e-7)
/// (the relative tie rule of R and scipy; scipy 1.10 uses 1 + 1e-14, which differs only on ties that the
/// rounding of the pmf itself decides).
/// </summary>
/// <remarks>
/// The pmf is never evaluated through log-gamma where the p-value matters: from the mode, successive ratios
/// pmf(x±1)/pmf(x) (exact integer products, one rounding each) are summed in log space outward until the
/// terms are e^-60 below both the observed table and the mode. Work is proportional to the distance walked,
/// a few standard deviations of the law (≈ sqrt of the counts), not to the table size. When the observed
/// table lies more than e^1000 below the mode, the p-value is 0 in double precision and only its log is
/// computed (anchored with log-gamma, about 1e-8 absolute in the log), for ranking.
/// </remarks>
public static class FisherExactTest
{
    /// <summary>Relative tolerance of the tie rule: tables with pmf ≤ pmf(observed)·(1 + TieTolerance) count as at least as extreme.</summary>
    public const double TieTolerance = 1e-7;

    private const double Negligible = 60;   // e^-60: terms this far below the smallest included term are dropped
    private const double DeepTail = 1000;   // observed more than e^1000 below the mode: p underflows to 0

    /// <summary>The two-sided p-value of [[a1, d1], [a2, d2]] (1 when a row or column of the table sums to 0).</summary>
    public static FisherExactResult TwoSided(long a1, long d1, long a2, long d2)
    {
        if (a1 < 0 || d1 < 0 || a2 < 0 || d2 < 0)
            throw new ArgumentException($"Fisher exact test: negative cell in [[{a1}, {d1}], [{a2}, {d2}]].");
        long n1 = a1 + d1, n2 = a2 + d2, c = a1 + a2, total = n1 + n2;
        if (n1 == 0 || n2 == 0 || c == 0 || c == total) return new FisherExactResult(1, 0);
        var law = new Hypergeometric(n1, n2, c);
        long mode = Math.Clamp((long)((Int128)(c + 1) * (n1 + 1) / (total + 2)), law.Low, law.High);
        long x = a1;
        if (x == mode) return new FisherExactResult(1, 0);
        int toward = x > mode ? 1 : -1;

        // Side of the observed table: L(y) = log pmf(y) − log pmf(mode), walked from the mode outward.
        double logObserved = double.NaN, sumAll = 1, observedTail = 0;
        double level = 0;
        bool reached = false;
        for (long y = mode; y != (toward > 0 ? law.High : law.Low);)
        {
            level += law.LogStep(y, toward);
            y += toward;
            sumAll += Math.Exp(level);
            if (y == x) { logObserved = level; reached = true; }
            if (reached)
            {
                observedTail += Math.Exp(level - logObserved);
                if (level < logObserved - Negligible) break;
            }
            else if (level < -DeepTail) break;
        }
        if (!reached) return DeepTailResult(law, x, mode, toward);

        double threshold = logObserved + Math.Log(1 + TieTolerance);
        double otherTail = 0;
        level = 0;
        for (long y = mode; y != (toward > 0 ? law.Low : law.High);)
        {
            level += law.LogStep(y, -toward);
            y -= toward;
            double term = Math.Exp(level);
            sumAll += term;
            if (level <= threshold) otherTail += Math.Exp(level - logObserved);
            if (level < logObserved - Negligible) break;
        }
        // Ties with the mode itself (a flat top) are included by the same rule.
        if (0 <= threshold) observedTail += Math.Exp(-logObserved);
        double logP = Math.Min(0, logObserved + Math.Log(observedTail + otherTail) - Math.Log(sumAll));
        return new FisherExactResult(Math.Exp(logP), logP);
    }

    // The observed table is > e^1000 below the mode: p = 0 in double precision; log p from a log-gamma anchor.
    private static FisherExactResult DeepTailResult(Hypergeometric law, long x, long mode, int toward)
    {
        double logObserved = law.LogPmf(x);
        double tail = 0, level = 0;
        for (long y = x; ;)
        {
            tail += Math.Exp(level);
            if (y == (toward > 0 ? law.High : law.Low) || level < -Negligible) break;
            level += law.LogStep(y, toward);
            y += toward;
        }
        // On the other side, the first table (walking outward from the mode) with pmf ≤ pmf(observed)·(1 + tol).
        double threshold = logObserved + Math.Log(1 + TieTolerance);
        long far = toward > 0 ? law.Low : law.High;
        long inner = mode, outer = far;   // L(inner) > threshold (unless at the mode), find the boundary
        if (law.LogPmf(far) <= threshold)
        {
            while (Math.Abs(outer - inner) > 1)
            {
                long mid = inner + (outer - inner) / 2;
                if (law.LogPmf(mid) <= threshold) outer = mid; else inner = mid;
            }
            double start = law.LogPmf(outer) - logObserved;
            level = start;
            for (long y = outer; ;)
            {
                tail += Math.Exp(level);
                if (y == far || level < start - Negligible) break;
                level += law.LogStep(y, -toward);
                y -= toward;
            }
        }
        double logP = Math.Min(0, logObserved + Math.Log(tail));
        return new FisherExactResult(Math.Exp(logP), logP);
    }

    /// <summary>The hypergeometric law of a1 given the margins (n1, n2 rows, c first-column total).</summary>
    private readonly struct Hypergeometric(long n1, long n2, long c)
    {
        public long Low => Math.Max(0, c - n2);
        public long High => Math.Min(c, n1);

        /// <summary>log(pmf(y + dir) / pmf(y)), dir = ±1, from exact integer products (one rounding each).</summary>
        public double LogStep(long y, int dir)
        {
            double numerator, denominator;
            if (dir > 0) { numerator = (double)(n1 - y) * (c - y); denominator = (double)(y + 1) * (n2 - c + y + 1); }
            else { numerator = (double)y * (n2 - c + y); denominator = (double)(n1 - y + 1) * (c - y + 1); }
            return Math.Log(numerator / denominator);
        }

        /// <summary>log pmf(y) through log-gamma (used only to locate tables in the deep tail).</summary>
        public double LogPmf(long y) =>
            LogChoose(n1, y) + LogChoose(n2, c - y) - LogChoose(n1 + n2, c);

        private static double LogChoose(long n, long k) =>
            SpecialFunctions.GammaLn(n + 1.0) - SpecialFunctions.GammaLn(k + 1.0) - SpecialFunctions.GammaLn(n - k + 1.0);
    }
}
