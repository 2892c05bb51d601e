#!/usr/bin/python3
"""Writes tests/data/stats_reference.json: reference values for the unit tests of lib/stats.

Everything here is computed independently of the C++ code: quantiles and summaries with numpy
(np.quantile's default 'linear' method is Hyndman-Fan type 7), binomial order-statistic ranks for the
median CI with exact integer arithmetic (math.comb, fractions.Fraction), and Mann-Whitney U p-values with
a numpy implementation of the tie-corrected normal approximation whose U is checked against a brute-force
pair count. Sample vectors are drawn from a fixed numpy seed and stored in the fixture, so the tests never
depend on numpy's generator.

Run with the system Python that has numpy (Debian 12: numpy 1.24):
    /usr/bin/python3 tools/stats_reference.py
"""
import json
import math
import pathlib
from fractions import Fraction

import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "stats_reference.json"
PROBS = [0.0, 0.01, 0.05, 0.1, 0.25, 1.0 / 3.0, 0.5, 0.6, 0.75, 0.9, 0.95, 0.99, 1.0]


def sample_vectors(rng):
    """Timing-like and awkward vectors: tiny n, ties, constants, negatives, heavy tails."""
    vectors = {}
    for n in (1, 2, 3, 4, 5, 7, 10, 16, 33, 100, 257, 1000):
        vectors[f"lognormal_{n}"] = (1.2e-4 * rng.lognormal(0.0, 0.05, n)).tolist()
    vectors["ties_integers_40"] = rng.integers(1, 6, 40).astype(float).tolist()
    vectors["constant_9"] = [2.5e-3] * 9
    vectors["normal_signed_51"] = rng.normal(0.0, 1.0, 51).tolist()
    tail = 1e-3 * rng.lognormal(0.0, 0.02, 200)
    tail[0] *= 3.0  # a slow first sample
    tail[17] *= 1.5
    tail[101] *= 0.8
    vectors["tail_outliers_200"] = tail.tolist()
    return vectors


def summary_of(x):
    x = np.asarray(x, dtype=np.float64)
    q = {f"{p!r}": float(np.quantile(x, p, method="linear")) for p in PROBS}
    med = float(np.quantile(x, 0.5, method="linear"))
    q1 = float(np.quantile(x, 0.25, method="linear"))
    q3 = float(np.quantile(x, 0.75, method="linear"))
    iqr = q3 - q1
    mad = float(np.median(np.abs(x - np.median(x))))
    dev = np.abs(x - np.median(x))
    out = {
        "quantiles": q,
        "n": int(x.size),
        "median": med,
        "np_median": float(np.median(x)),
        "mean": float(np.mean(x)),
        "stdev": float(np.std(x, ddof=1)) if x.size > 1 else None,
        "min": float(np.min(x)),
        "max": float(np.max(x)),
        "mad": mad,
        "max_mad_z": float(dev.max() / (1.4826 * mad)) if mad > 0 else None,
        "first_mad_z": float((x[0] - np.median(x)) / (1.4826 * mad)) if mad > 0 else None,
        "tukey": {
            "low_severe": int(np.sum(x < q1 - 3.0 * iqr)),
            "low_mild": int(np.sum((x < q1 - 1.5 * iqr) & ~(x < q1 - 3.0 * iqr))),
            "high_severe": int(np.sum(x > q3 + 3.0 * iqr)),
            "high_mild": int(np.sum((x > q3 + 1.5 * iqr) & ~(x > q3 + 3.0 * iqr))),
        },
    }
    return out


def median_ci_ranks(n, level):
    """l = max{j >= 1 : F(j-1) <= alpha/2} for F the Binomial(n, 1/2) CDF, in exact rationals."""
    half_alpha = (1 - Fraction(level)) / 2
    total = 2**n
    cdf_num = 0  # numerator of F(j - 1) over 2^n
    best = None
    for j in range(1, n + 1):
        cdf_num += math.comb(n, j - 1)
        if Fraction(cdf_num, total) <= half_alpha:
            best = (j, Fraction(cdf_num, total))
        else:
            break
    if best is None:
        return None
    l, f = best
    return {"lo": l, "hi": n - l + 1, "coverage": float(1 - 2 * f)}


def mann_whitney(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    pooled = np.concatenate([a, b])
    values, inverse, counts = np.unique(pooled, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)  # rank of the last member of each tie group
    mean_rank = upper - (counts - 1) / 2.0
    ranks = mean_rank[inverse]
    na, nb, n = a.size, b.size, pooled.size
    u = float(ranks[:na].sum() - na * (na + 1) / 2.0)
    brute = float(np.sum(a[:, None] > b[None, :]) + 0.5 * np.sum(a[:, None] == b[None, :]))
    assert abs(u - brute) < 1e-9, (u, brute)
    tie = float(np.sum(counts.astype(np.float64) ** 3 - counts))
    var = na * nb / 12.0 * ((n + 1) - tie / (n * (n - 1)))
    if var <= 0:
        return {"u": u, "z": 0.0, "p": 1.0}
    z = max(0.0, (abs(u - na * nb / 2.0) - 0.5) / math.sqrt(var))
    return {"u": u, "z": z, "p": min(1.0, math.erfc(z / math.sqrt(2.0)))}


def mann_whitney_cases(rng):
    cases = {
        "shifted_normal_30_30": (rng.normal(10.0, 1.0, 30), rng.normal(10.8, 1.0, 30)),
        "same_dist_50_40": (rng.normal(5.0, 2.0, 50), rng.normal(5.0, 2.0, 40)),
        "ties_integers_25_35": (rng.integers(0, 5, 25).astype(float), rng.integers(1, 6, 35).astype(float)),
        "small_5_7": (rng.normal(0.0, 1.0, 5), rng.normal(1.0, 1.0, 7)),
        "separated_12_12": (np.arange(12, dtype=float), np.arange(12, dtype=float) + 100.0),
        "all_tied_6_6": (np.full(6, 3.0), np.full(6, 3.0)),
        "timings_200_180": (1e-4 * rng.lognormal(0.0, 0.05, 200), 1.01e-4 * rng.lognormal(0.0, 0.05, 180)),
    }
    out = {}
    for name, (a, b) in cases.items():
        out[name] = {"a": a.tolist(), "b": b.tolist(), **mann_whitney(a, b)}
    return out


def main():
    rng = np.random.default_rng(20260503)
    vectors = sample_vectors(rng)
    ranks = {}
    for level in ("0.9", "0.95", "0.99"):
        sizes = list(range(1, 101)) + [150, 256, 500, 1000, 2000, 5000]
        ranks[level] = {str(n): median_ci_ranks(n, Fraction(level)) for n in sizes}
    fixture = {
        "generator": "tools/stats_reference.py",
        "numpy_version": np.__version__,
        "quantile_method": "numpy linear (Hyndman-Fan type 7)",
        "summaries": {name: {"x": x, **summary_of(x)} for name, x in vectors.items()},
        "median_ci_ranks": ranks,
        "mann_whitney": mann_whitney_cases(rng),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
