#!/usr/bin/python3
"""Reference values for the Detection statistics, from scipy and statsmodels (Debian's, /usr/bin/python3).

Writes tools/reference/stats/vectors.json, read by tests/SteerMoE.Research.Detection.Tests. Run from the
repository root:  /usr/bin/python3 tools/reference/stats/make_vectors.py
Every value comes from a library call named beside it; nothing is re-derived here except the Newcombe
interval, which statsmodels computes from its own Wilson intervals (confint_proportions_2indep, 'newcomb'),
and two independent exact references for the Fisher p-value: Python integers (small supports) and a
40-digit mpmath sum (very large tables, where scipy's own error reaches ~7e-10 relative).
"""
import json
import math
import os
import warnings

import mpmath
import numpy as np
import scipy
import statsmodels
from scipy import stats
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

warnings.simplefilter("ignore")  # zero cells: the inf/nan they give are part of the reference

# [a1, d1, a2, d2]: small, zeros in every position, symmetric (ties), and very large counts. All synthetic
# (none is copied from the authors' released tables, which are under a noncommercial license).
TABLES = [
    [1, 9, 11, 3], [7, 3, 2, 8], [3, 0, 0, 4], [0, 10, 5, 5], [5, 5, 0, 10], [0, 10, 0, 10],
    [10, 0, 10, 0], [4, 6, 6, 4], [5, 5, 5, 5], [2, 8, 3, 7], [0, 1, 1, 0], [1, 0, 0, 1],
    [100, 900, 120, 880], [100, 900, 100, 900], [1, 1000000, 0, 1000000], [0, 1000000, 3, 999997],
    [1000000, 0, 999999, 1], [2, 1000000, 50, 1000000], [10500, 157500, 1600, 166400],
    [11700, 156300, 9600, 158400], [350, 64650, 8000, 369000], [2700, 62300, 47900, 329100],
    [500000, 500000, 499000, 501000], [500000, 500000, 497000, 503000], [123456, 876544, 120000, 880000],
    [31, 167969, 40, 167960], [84000, 84000, 84100, 83900], [3, 400000, 9, 1200000],
    [250000, 750000, 251000, 749000], [6000, 162000, 5200, 162800], [17, 2, 4, 40], [1, 2, 3, 4],
    [40, 64960, 700, 376300], [65000, 0, 377000, 0], [12, 64988, 3000, 374000],
]


def fl(x):
    """A float as JSON: finite numbers as they are, inf/-inf/nan as strings."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def exact_fisher_log_p(t):
    """ln of the two-sided Fisher p-value in exact integer arithmetic (ties: pmf equal to the observed, exactly).

    The hypergeometric weights C(n1, x)·C(n2, c−x) are built by exact recurrences over the whole support, so
    this is independent of scipy and of any floating-point tie tolerance; used where the support is small
    enough (it also gives ln p where p underflows in double precision)."""
    a1, d1, a2, d2 = t
    n1, n2, c = a1 + d1, a2 + d2, a1 + a2
    lo, hi = max(0, c - n2), min(c, n1)
    if n1 == 0 or n2 == 0 or c == 0 or c == n1 + n2:
        return 0.0
    w = math.comb(n1, lo) * math.comb(n2, c - lo)
    weights = [w]
    for x in range(lo, hi):  # w(x+1) = w(x)·(n1−x)(c−x) / ((x+1)(n2−c+x+1)), exact
        w = w * (n1 - x) * (c - x) // ((x + 1) * (n2 - c + x + 1))
        weights.append(w)
    observed = weights[a1 - lo]
    total = sum(weights)
    return math.log(sum(v for v in weights if v <= observed)) - math.log(total)


# Very large tables (synthetic, ~2e6 tokens a side) whose scipy p-values are off by up to ~7e-10 relative:
# for these the reference is a 40-digit mpmath sum as well.
LARGE_TABLES = [[147308, 1852692, 107122, 1392878], [248108, 1751892, 188349, 1311651], [104648, 1895352, 78818, 1421182]]


def mpmath_fisher_p(t):
    """Two-sided Fisher p-value with 40 significant digits: log-gamma anchor, exact ratios, every table
    within 80 standard deviations of the mode whose pmf is at most pmf(observed)·(1 + 1e-7)."""
    mpmath.mp.dps = 40
    a1, d1, a2, d2 = t
    n1, n2, c = a1 + d1, a2 + d2, a1 + a2
    lo, hi = max(0, c - n2), min(c, n1)
    lg = mpmath.loggamma

    def log_pmf(x):
        return (lg(n1 + 1) - lg(x + 1) - lg(n1 - x + 1) + lg(n2 + 1) - lg(c - x + 1) - lg(n2 - c + x + 1)
                - lg(n1 + n2 + 1) + lg(c + 1) + lg(n1 + n2 - c + 1))
    threshold = log_pmf(a1) + mpmath.log(1 + mpmath.mpf("1e-7"))
    sd = math.sqrt(c * n1 / (n1 + n2) * n2 / (n1 + n2))
    mode = (c + 1) * (n1 + 1) // (n1 + n2 + 2)
    x, top = max(lo, mode - int(80 * sd) - 10), min(hi, mode + int(80 * sd) + 10)
    level, total = log_pmf(x), mpmath.mpf(0)
    while True:
        if level <= threshold:
            total += mpmath.exp(level)
        if x == top:
            return float(total)
        level += mpmath.log(mpmath.mpf((n1 - x) * (c - x)) / ((x + 1) * (n2 - c + x + 1)))
        x += 1


def table_vector(t):
    a1, d1, a2, d2 = t
    n1, n2 = a1 + d1, a2 + d2
    out = {"table": t}
    out["risk_diff"] = fl(a1 / n1 - a2 / n2)
    w1 = proportion_confint(a1, n1, alpha=0.05, method="wilson")
    w2 = proportion_confint(a2, n2, alpha=0.05, method="wilson")
    out["wilson1"] = [fl(w1[0]), fl(w1[1])]
    out["wilson2"] = [fl(w2[0]), fl(w2[1])]
    nc = confint_proportions_2indep(a1, n1, a2, n2, method="newcomb", compare="diff", alpha=0.05)
    out["newcombe"] = [fl(nc[0]), fl(nc[1])]
    arr = np.array([[a1, d1], [a2, d2]], dtype=float)
    corrected = Table2x2(arr + 0.5, shift_zeros=False)
    out["log_odds_ratio"] = fl(corrected.log_oddsratio)
    lo, hi = corrected.log_oddsratio_confint(alpha=0.05)
    out["log_odds_ratio_ci"] = [fl(lo), fl(hi)]
    raw = Table2x2(arr, shift_zeros=False)
    with np.errstate(all="ignore"):
        out["log_odds_ratio_raw"] = fl(raw.log_oddsratio)
        out["log_relative_risk"] = fl(raw.log_riskratio)
    if a1 > 0 and a2 > 0:
        rlo, rhi = raw.log_riskratio_confint(alpha=0.05)
        out["log_relative_risk_ci"] = [fl(rlo), fl(rhi)]
    out["fisher_p"] = fl(stats.fisher_exact([[a1, d1], [a2, d2]], alternative="two-sided")[1])
    if min(a1 + a2, d1 + d2, n1, n2) <= 20000:
        out["fisher_log_p_exact"] = fl(exact_fisher_log_p(t))
    return out


def main():
    rng = np.random.default_rng(20260423)
    tables = [table_vector(t) for t in TABLES]
    for t, v in zip(LARGE_TABLES, [table_vector(t) for t in LARGE_TABLES]):
        v["fisher_p_mpmath"] = fl(mpmath_fisher_p(t))
        tables.append(v)
    fisher = [t["fisher_p"] for t in tables]
    p_lists = [
        [float(p) for p in fisher],
        [0.01, 0.04, 0.03, 0.04, 0.2, 0.0, 1.0, 0.5, 0.01, 0.049, 0.3, 0.001],
        [float(x) for x in rng.uniform(0, 1, 200) ** 3],
    ]
    bh = [{"p": p, "q": [fl(q) for q in multipletests(p, method="fdr_bh")[1]]} for p in p_lists]

    samples = []
    for n, ties in [(10, False), (50, True), (300, True), (1000, False)]:
        x = rng.normal(size=n); y = 0.6 * x + rng.normal(size=n)
        if ties:
            x = np.round(x * 2) / 2; y = np.round(y)
        samples.append({"x": x.tolist(), "y": y.tolist(),
                        "spearman": fl(stats.spearmanr(x, y)[0]), "kendall_tau_b": fl(stats.kendalltau(x, y)[0])})

    paired = []
    for n in [2, 5, 40, 2000]:
        p1 = rng.uniform(0, 1, n).astype(np.float32); p2 = np.clip(p1 + rng.normal(0.01, 0.05, n), 0, 1).astype(np.float32)
        r = stats.ttest_rel(p1.astype(np.float64), p2.astype(np.float64))
        paired.append({"side1": p1.astype(float).tolist(), "side2": p2.astype(float).tolist(), "t": fl(r.statistic), "p": fl(r.pvalue)})

    doc = {"generator": "tools/reference/stats/make_vectors.py", "scipy": scipy.__version__, "mpmath": mpmath.__version__,
           "statsmodels": statsmodels.__version__, "numpy": np.__version__,
           "tables": tables, "benjamini_hochberg": bh, "rank_correlation": samples, "paired_t": paired}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors.json")
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print(f"{path}: {len(tables)} tables, {len(bh)} BH lists, {len(samples)} rank samples, {len(paired)} paired samples")


if __name__ == "__main__":
    main()
