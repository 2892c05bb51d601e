#include "entropy/histogram_entropy.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace corey::entropy {
namespace {

std::vector<std::int64_t> minmax_counts(std::span<const float> x, int bins, float lo, float hi) {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(bins), 0);
  const auto denom = static_cast<float>(static_cast<double>(hi) - static_cast<double>(lo) + 1e-8);
  const auto k = static_cast<float>(bins);
  for (float v : x) {
    const float scaled = ((v - lo) / denom) * k;
    const auto index =
        std::clamp(static_cast<std::int64_t>(std::floor(scaled)), std::int64_t{0}, static_cast<std::int64_t>(bins - 1));
    ++counts[static_cast<std::size_t>(index)];
  }
  return counts;
}

}  // namespace

double hist_entropy_nats(std::span<const float> x, int bins) {
  if (x.empty()) return 0.0;
  const auto [lo_it, hi_it] = std::minmax_element(x.begin(), x.end());
  const float lo = *lo_it, hi = *hi_it;
  if (static_cast<double>(hi) - static_cast<double>(lo) < 1e-8) return 0.0;
  const std::vector<std::int64_t> counts = minmax_counts(x, bins, lo, hi);
  const double total = static_cast<double>(x.size()) + 1e-10;
  double h = 0.0;
  for (std::int64_t c : counts) {
    const double p = static_cast<double>(c) / total;
    if (p > 1e-10) h -= p * std::log(p + 1e-10);
  }
  return h;
}

double ebits_entropy_bits(std::span<const float> x, int bins) {
  if (x.empty()) return 0.0;
  const auto [lo_it, hi_it] = std::minmax_element(x.begin(), x.end());
  const float lo = *lo_it, hi = *hi_it;
  if (std::abs(static_cast<double>(hi) - static_cast<double>(lo)) < 1e-8) return 0.0;
  const std::vector<std::int64_t> counts = minmax_counts(x, bins, lo, hi);
  const double total = static_cast<double>(x.size()) + 1e-8;
  double h = 0.0;
  for (std::int64_t c : counts) {
    const double p = static_cast<double>(c) / total;
    if (p > 1e-8) h -= p * std::log2(p + 1e-8);
  }
  return h;
}

double numpy_pairwise_sum(std::span<const double> x) {
  const std::size_t n = x.size();
  if (n < 8) {
    double s = 0.0;  // numpy starts from -0.0; the sign of an all-zero sum does not matter here
    for (double v : x) s += v;
    return s;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = x[static_cast<std::size_t>(j)];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (int j = 0; j < 8; ++j) r[j] += x[i + static_cast<std::size_t>(j)];
    }
    double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) s += x[i];
    return s;
  }
  std::size_t half = n / 2;
  half -= half % 8;
  return numpy_pairwise_sum(x.subspan(0, half)) + numpy_pairwise_sum(x.subspan(half));
}

void numpy_histogram(std::span<const double> x, int bins, double lo, double hi, std::span<std::int64_t> counts) {
  std::fill(counts.begin(), counts.end(), 0);
  std::vector<double> edges(static_cast<std::size_t>(bins) + 1);
  const double step = (hi - lo) / bins;
  for (int i = 0; i < bins; ++i) edges[static_cast<std::size_t>(i)] = static_cast<double>(i) * step + lo;
  edges[static_cast<std::size_t>(bins)] = hi;
  const double norm = bins / (hi - lo);
  for (double v : x) {
    if (!(v >= lo && v <= hi)) continue;
    auto i = static_cast<std::int64_t>((v - lo) * norm);
    if (i == bins) --i;
    if (v < edges[static_cast<std::size_t>(i)]) {
      --i;
    } else if (v >= edges[static_cast<std::size_t>(i + 1)] && i != bins - 1) {
      ++i;
    }
    ++counts[static_cast<std::size_t>(i)];
  }
}

double proto_entropy_nats(std::span<const double> x, int bins) {
  if (x.empty()) return 0.0;
  const auto [lo_it, hi_it] = std::minmax_element(x.begin(), x.end());
  const double mn = *lo_it, mx = *hi_it;
  if (std::abs(mn - mx) <= 1e-8 + 1e-5 * std::abs(mx)) return 0.0;
  const double margin = std::max(0.05 * (mx - mn), 1e-6);
  std::vector<std::int64_t> counts(static_cast<std::size_t>(bins));
  numpy_histogram(x, bins, mn - margin, mx + margin, counts);
  std::int64_t total = 0;
  for (std::int64_t c : counts) total += c;
  std::vector<double> terms;
  for (std::int64_t c : counts) {
    const double p = static_cast<double>(c) / static_cast<double>(total);
    if (p > 0.0) terms.push_back(p * std::log(p + 1e-12));
  }
  return -numpy_pairwise_sum(terms);
}

}  // namespace corey::entropy
