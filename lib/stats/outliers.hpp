#pragma once
#include <cstddef>
#include <span>

#include "core/json.hpp"

namespace corey::stats {

// Outliers are counted, never dropped (HARNESS.md §4.6).
struct Outliers {
  // Tukey classes with type 7 quartiles: mild = beyond 1.5·IQR but not beyond 3·IQR from the nearer
  // quartile, severe = beyond 3·IQR ("beyond" is strict).
  std::size_t low_mild = 0;
  std::size_t low_severe = 0;
  std::size_t high_mild = 0;
  std::size_t high_severe = 0;
  // max |x − median| / (1.4826·MAD); +Inf when MAD is 0 but some sample differs from the median,
  // 0 when all samples are equal.
  double max_mad_z = 0;
  // hyperfine's rule: the first sample's signed MAD-z, (x₀ − median) / (1.4826·MAD), exceeds 10.
  bool first_sample_slow = false;

  // The record's "outliers" block (§3.3); a non-finite max_mad_z is null with "reason": "mad_zero".
  Json to_json() const;
};

// Scaling that makes the MAD a consistent estimator of σ for normal data (1 / Φ⁻¹(¾)).
inline constexpr double mad_normal_scale = 1.4826;
inline constexpr double first_sample_slow_mad_z = 10.0;

// `samples` in measurement order (sample 0 is the first one measured). Throws std::invalid_argument on
// an empty sample set.
Outliers find_outliers(std::span<const double> samples);

}  // namespace corey::stats
