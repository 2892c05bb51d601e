#include "stats/quantile.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace corey::stats {

double quantile_sorted(std::span<const double> sorted, double p) {
  if (sorted.empty()) throw std::invalid_argument("quantile of an empty sample");
  if (!(p >= 0.0 && p <= 1.0)) throw std::invalid_argument("quantile probability outside [0, 1]");
  const double h = static_cast<double>(sorted.size() - 1) * p;
  const double floor_h = std::floor(h);
  const auto i = static_cast<std::size_t>(floor_h);
  if (i + 1 >= sorted.size()) return sorted.back();
  const double lower = sorted[i];
  const double upper = sorted[i + 1];
  // numpy's `linear` method: lerp written as lower + frac·(upper − lower) except that for frac ≥ ½ it
  // evaluates from the upper end, which keeps the result exact at the ends and inside [lower, upper].
  const double frac = h - floor_h;
  if (frac >= 0.5) return upper - (upper - lower) * (1.0 - frac);
  return lower + (upper - lower) * frac;
}

double median_sorted(std::span<const double> sorted) { return quantile_sorted(sorted, 0.5); }

double median_inplace(std::span<double> values) {
  if (values.empty()) throw std::invalid_argument("median of an empty sample");
  const std::size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  // The same expression quantile_sorted evaluates for h − ⌊h⌋ = ½.
  return upper - (upper - lower) * 0.5;
}

std::vector<double> sorted_copy(std::span<const double> values) {
  std::vector<double> out(values.begin(), values.end());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace corey::stats
