#pragma once
#include <cstdint>
#include <span>

namespace corey::entropy {

// The histogram estimators of PAPER.md §2.2 on an already gathered, finite sample. Each returns its native
// unit; conversions live in StatsOp.

// E-kernel / E-routed: K bins over [min, max], index floor((x − min)/(max − min + 1e-8)·K) in fp32 (the
// denominator formed in double, rounded to fp32), clamped to [0, K−1]; p = c/(Σc + 1e-10);
// H = −Σ_{p>1e-10} p·ln(p + 1e-10) in bin order. 0 when max − min < 1e-8. Nats.
double hist_entropy_nats(std::span<const float> x, int bins);

// E-bits (the LongBench hook): the same binning; p = c/(Σc + 1e-8); H = −Σ_{p>1e-8} p·log2(p + 1e-8).
// 0 when |max − min| < 1e-8. Bits.
double ebits_entropy_bits(std::span<const float> x, int bins);

// E-proto (tier 1): numpy.histogram with K bins over [min − m, max + m], m = max(0.05·(max − min), 1e-6);
// p = count/total; H = −Σ_{p>0} p·ln(p + 1e-12) with numpy's pairwise summation. 0 for an empty sample or
// isclose(min, max). Nats (normalize with clip(H / ln K, 0, 1)).
double proto_entropy_nats(std::span<const double> x, int bins);

// numpy's pairwise summation order (blocks of 8 accumulators up to 128 elements, then halving).
double numpy_pairwise_sum(std::span<const double> x);

// numpy.histogram counts with K equal bins over [lo, hi] (values outside are dropped).
void numpy_histogram(std::span<const double> x, int bins, double lo, double hi, std::span<std::int64_t> counts);

}  // namespace corey::entropy
