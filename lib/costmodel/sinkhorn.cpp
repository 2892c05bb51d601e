#include "costmodel/sinkhorn.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "costmodel/python_numeric.hpp"

namespace corey::costmodel {
namespace {

constexpr std::array<double, 7> multipliers = {0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0};

std::vector<double> masses(const std::vector<std::int64_t>& counts) {
  std::vector<double> p(counts.begin(), counts.end());
  const double total = std::max(numpy_pairwise_sum(p), 1.0);
  for (double& v : p) v /= total;
  return p;
}

// Row-major k×k kernel normalized in place by alternating row and column sweeps. Row sums follow numpy's
// pairwise order and column sums its row-by-row accumulation; the divisions are multiplications by the
// reciprocal, which moves values by at most an ulp (far below the printed precision) and is much cheaper.
void sinkhorn_normalize(std::vector<double>& p, std::size_t k, int iterations) {
  std::vector<double> col(k);
  for (int it = 0; it < iterations; ++it) {
    for (std::size_t i = 0; i < k; ++i) {
      double* row = p.data() + i * k;
      const double inv = 1.0 / std::max(numpy_pairwise_sum({row, k}), 1e-12);
      for (std::size_t j = 0; j < k; ++j) row[j] *= inv;
    }
    std::copy(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(k), col.begin());
    for (std::size_t i = 1; i < k; ++i) {
      const double* row = p.data() + i * k;
      for (std::size_t j = 0; j < k; ++j) col[j] += row[j];
    }
    for (std::size_t j = 0; j < k; ++j) col[j] = 1.0 / std::max(col[j], 1e-12);
    for (std::size_t i = 0; i < k; ++i) {
      double* row = p.data() + i * k;
      for (std::size_t j = 0; j < k; ++j) row[j] *= col[j];
    }
  }
}

}  // namespace

SinkhornFit fit_sinkhorn_proxy(const MatrixView& before, const MatrixView& after, int bins, int iterations) {
  return fit_sinkhorn_proxy(before, after, bins, min_max(before), min_max(after), iterations);
}

namespace {

SinkhornFit fit_masses(const std::vector<double>& p_before, const std::vector<double>& p_after,
                       const std::vector<double>& centers, int iterations);

}  // namespace

std::optional<MinMax> sinkhorn_range(const MinMax& a, const MinMax& b) {
  const MinMax extent{std::min(a.min, b.min), std::max(a.max, b.max)};
  if (numpy_isclose(extent.min, extent.max)) return std::nullopt;
  const double margin = std::max((extent.max - extent.min) * 0.05, 1e-6);
  return MinMax{extent.min - margin, extent.max + margin};
}

SinkhornFit fit_sinkhorn_counts(const std::vector<std::int64_t>& before, const std::vector<std::int64_t>& after,
                                const MinMax& range, int iterations) {
  const int bins = static_cast<int>(before.size());
  const auto edges = numpy_bin_edges(bins, range.min, range.max);
  std::vector<double> centers(before.size());
  for (std::size_t j = 0; j < centers.size(); ++j) centers[j] = 0.5 * (edges[j] + edges[j + 1]);
  return fit_masses(masses(before), masses(after), centers, iterations);
}

SinkhornFit fit_sinkhorn_proxy(const MatrixView& before, const MatrixView& after, int bins, const MinMax& a,
                               const MinMax& b, int iterations) {
  if (const auto range = sinkhorn_range(a, b)) {
    return fit_sinkhorn_counts(numpy_histogram_in_range(before, bins, range->min, range->max),
                               numpy_histogram_in_range(after, bins, range->min, range->max), *range, iterations);
  }
  const MinMax extent{std::min(a.min, b.min), std::max(a.max, b.max)};
  std::vector<double> p_before(static_cast<std::size_t>(bins), 0.0);
  p_before[0] = 1.0;
  const auto centers = numpy_bin_edges(bins - 1, extent.min, extent.max + 1e-6);
  return fit_masses(p_before, p_before, centers, iterations);
}

namespace {

SinkhornFit fit_masses(const std::vector<double>& p_before, const std::vector<double>& p_after,
                       const std::vector<double>& centers, int iterations) {
  const std::size_t k = centers.size();
  if (k < 2) {
    const double residual = std::fabs(p_after[0] - p_before[0]);
    return {0.0, residual, residual, 0.0, 0.0};
  }
  std::vector<double> gaps(k - 1);
  for (std::size_t j = 0; j + 1 < k; ++j) {
    const double d = centers[j + 1] - centers[j];
    gaps[j] = d * d;
  }
  const double spacing = std::max(numpy_pairwise_sum(gaps) / static_cast<double>(k - 1), 1e-6);

  SinkhornFit best;
  bool have_best = false;
  std::vector<double> p(k * k);
  std::vector<double> residual(k);
  std::vector<double> sums(k);
  for (double multiplier : multipliers) {
    const double temperature = spacing * multiplier;
    const double divisor = std::max(temperature, 1e-9);
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t j = 0; j < k; ++j) {
        const double d = centers[i] - centers[j];
        p[i * k + j] = std::max(std::exp(-(d * d) / divisor), 1e-12);
      }
    sinkhorn_normalize(p, k, iterations);

    double l2_squared = 0.0;
    for (std::size_t i = 0; i < k; ++i) {
      double transported = 0.0;
      for (std::size_t j = 0; j < k; ++j) transported += p[i * k + j] * p_before[j];
      residual[i] = std::fabs(p_after[i] - transported);
      l2_squared += residual[i] * residual[i];
    }
    SinkhornFit fit;
    fit.temperature = temperature;
    fit.residual_l1 = numpy_pairwise_sum(residual);
    fit.residual_l2 = std::sqrt(l2_squared);
    for (std::size_t i = 0; i < k; ++i) {
      fit.row_error = std::max(fit.row_error, std::fabs(numpy_pairwise_sum({p.data() + i * k, k}) - 1.0));
      sums[i] = 0.0;
    }
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t j = 0; j < k; ++j) sums[j] += p[i * k + j];
    for (std::size_t j = 0; j < k; ++j) fit.col_error = std::max(fit.col_error, std::fabs(sums[j] - 1.0));
    if (!have_best || fit.residual_l1 < best.residual_l1) {
      best = fit;
      have_best = true;
    }
  }
  return best;
}

}  // namespace

}  // namespace corey::costmodel
