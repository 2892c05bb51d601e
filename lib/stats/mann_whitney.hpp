#pragma once
#include <cstddef>
#include <span>

#include "core/json.hpp"

namespace corey::stats {

// Two-sided Mann–Whitney U test by the normal approximation with tie correction and continuity
// correction (HARNESS.md §4.4.4, §6): ranks average over ties, U = R_a − n_a(n_a + 1)/2,
// σ² = n_a·n_b/12 · ((N + 1) − Σ(t³ − t)/(N(N − 1))), z = (|U − n_a·n_b/2| − ½)/σ, p = 2·(1 − Φ(z)) ≤ 1.
// When every value is tied (σ = 0) there is no evidence of a shift: z = 0, p = 1.
struct MannWhitney {
  std::size_t n_a = 0;
  std::size_t n_b = 0;
  double u = 0;  // U of sample a: the number of (a, b) pairs with a > b, ties counting ½
  double z = 0;  // ≥ 0 (two-sided, continuity-corrected)
  double p_value = 1;
  // The normal approximation is rough below 9 samples on either side.
  bool small_sample() const { return n_a < small_sample_n || n_b < small_sample_n; }
  static constexpr std::size_t small_sample_n = 9;

  // {method, n_a, n_b, u, z, p_value, [warning]}.
  Json to_json() const;
};

// Throws std::invalid_argument when either side is empty.
MannWhitney mann_whitney_u(std::span<const double> a, std::span<const double> b);

}  // namespace corey::stats
