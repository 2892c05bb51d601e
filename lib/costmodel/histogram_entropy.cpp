#include "costmodel/histogram_entropy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "costmodel/python_numeric.hpp"

namespace corey::costmodel {

MinMax min_max(const MatrixView& values) {
  MinMax out{std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
  for (std::size_t r = 0; r < values.rows; ++r) {
    const double* row = values.data + r * values.stride;
    double lo = out.min;
    double hi = out.max;
    for (std::size_t c = 0; c < values.cols; ++c) {
      lo = std::min(lo, row[c]);
      hi = std::max(hi, row[c]);
    }
    out.min = lo;
    out.max = hi;
  }
  return out;
}

ColumnExtents column_extents(const MatrixView& values) {
  ColumnExtents out;
  out.min.assign(values.cols, std::numeric_limits<double>::infinity());
  out.max.assign(values.cols, -std::numeric_limits<double>::infinity());
  double* lo = out.min.data();
  double* hi = out.max.data();
  for (std::size_t r = 0; r < values.rows; ++r) {
    const double* row = values.data + r * values.stride;
    for (std::size_t c = 0; c < values.cols; ++c) {
      lo[c] = std::min(lo[c], row[c]);
      hi[c] = std::max(hi[c], row[c]);
    }
  }
  return out;
}

MinMax ColumnExtents::over(std::size_t first, std::size_t count) const {
  MinMax out{std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
  for (std::size_t c = first; c < first + count; ++c) {
    out.min = std::min(out.min, min[c]);
    out.max = std::max(out.max, max[c]);
  }
  return out;
}

bool numpy_isclose(double a, double b) { return std::fabs(a - b) <= 1e-8 + 1e-5 * std::fabs(b); }

std::vector<double> numpy_bin_edges(int bins, double lo, double hi) {
  std::vector<double> edges(static_cast<std::size_t>(bins) + 1);
  const double step = (hi - lo) / bins;
  for (int i = 0; i < bins; ++i) edges[static_cast<std::size_t>(i)] = i * step + lo;
  edges.back() = hi;
  return edges;
}

namespace {

// Bins values known to lie inside [lo, hi] (no range test). The index arithmetic is numpy's; the counts go to
// four interleaved tallies so consecutive equal bins do not wait on each other's increments.
class InRangeBinner {
 public:
  InRangeBinner(int bins, double lo, double hi)
      : bins_(static_cast<std::size_t>(bins)),
        lo_(lo),
        norm_(bins / (hi - lo)),
        edges_(numpy_bin_edges(bins, lo, hi)),
        tallies_(4 * bins_, 0) {}

  void add(const MatrixView& values) {
    index_.resize(values.cols);
    const double* e = edges_.data();
    const auto last = static_cast<std::int64_t>(bins_) - 1;
    for (std::size_t r = 0; r < values.rows; ++r) {
      const double* row = values.data + r * values.stride;
      for (std::size_t c = 0; c < values.cols; ++c) {
        const double x = row[c];
        auto i = std::min(static_cast<std::int64_t>((x - lo_) * norm_), last);
        i -= x < e[i] ? 1 : 0;
        i += (x >= e[i + 1] && i != last) ? 1 : 0;
        index_[c] = i;
      }
      std::size_t c = 0;
      for (; c + 4 <= values.cols; c += 4)
        for (std::size_t j = 0; j < 4; ++j) ++tallies_[j * bins_ + static_cast<std::size_t>(index_[c + j])];
      for (; c < values.cols; ++c) ++tallies_[static_cast<std::size_t>(index_[c])];
    }
  }

  void add_to(std::vector<std::int64_t>& counts) const {
    for (std::size_t j = 0; j < 4; ++j)
      for (std::size_t b = 0; b < bins_; ++b) counts[b] += tallies_[j * bins_ + b];
  }

 private:
  std::size_t bins_;
  double lo_;
  double norm_;
  std::vector<double> edges_;
  std::vector<std::int64_t> tallies_;
  std::vector<std::int64_t> index_;
};

void histogram_in_range(const MatrixView& values, int bins, double lo, double hi, std::vector<std::int64_t>& counts) {
  InRangeBinner binner(bins, lo, hi);
  binner.add(values);
  binner.add_to(counts);
}

}  // namespace

void run_histogram_jobs(const MatrixView& values, std::vector<HistogramJob>& jobs) {
  constexpr std::size_t block_rows = 16;
  std::vector<InRangeBinner> binners;
  for (const auto& job : jobs) binners.emplace_back(job.bins, job.lo, job.hi);
  for (std::size_t first = 0; first < values.rows; first += block_rows) {
    const std::size_t rows = std::min(block_rows, values.rows - first);
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      const MatrixView block{values.data + first * values.stride + jobs[j].first_column, rows, jobs[j].columns,
                             values.stride};
      binners[j].add(block);
    }
  }
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    jobs[j].counts.assign(static_cast<std::size_t>(jobs[j].bins), 0);
    binners[j].add_to(jobs[j].counts);
  }
}

std::vector<std::int64_t> numpy_histogram_in_range(const MatrixView& values, int bins, double lo, double hi) {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(bins), 0);
  histogram_in_range(values, bins, lo, hi, counts);
  return counts;
}

std::vector<std::int64_t> numpy_histogram(const MatrixView& values, int bins, double lo, double hi) {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(bins), 0);
  if (values.size() == 0) return counts;
  const MinMax extent = min_max(values);
  if (extent.min >= lo && extent.max <= hi) {
    histogram_in_range(values, bins, lo, hi, counts);
    return counts;
  }
  const std::vector<double> edges = numpy_bin_edges(bins, lo, hi);
  const double norm = bins / (hi - lo);
  const auto last = static_cast<std::ptrdiff_t>(bins) - 1;
  values.for_each([&](double x) {
    if (!(x >= lo && x <= hi)) return;
    auto index = static_cast<std::ptrdiff_t>((x - lo) * norm);
    if (index == bins) index -= 1;
    if (x < edges[static_cast<std::size_t>(index)]) {
      index -= 1;
    } else if (index != last && x >= edges[static_cast<std::size_t>(index) + 1]) {
      index += 1;
    }
    ++counts[static_cast<std::size_t>(index)];
  });
  return counts;
}

std::optional<MinMax> margin_range(const MinMax& extent) {
  if (numpy_isclose(extent.min, extent.max)) return std::nullopt;
  const double margin = std::max((extent.max - extent.min) * 0.05, 1e-6);
  return MinMax{extent.min - margin, extent.max + margin};
}

double entropy_of_counts(const std::vector<std::int64_t>& counts) {
  std::int64_t total = 0;
  for (auto c : counts) total += c;
  if (total == 0) return 0.0;
  std::vector<double> terms;
  terms.reserve(counts.size());
  for (auto c : counts) {
    const double p = static_cast<double>(c) / static_cast<double>(total);
    if (p > 0) terms.push_back(p * std::log(p + 1e-12));
  }
  return -numpy_pairwise_sum(terms);
}

double histogram_entropy(const MatrixView& values, int bins, const MinMax& extent) {
  if (values.size() == 0) return 0.0;
  const auto range = margin_range(extent);
  if (!range) return 0.0;
  std::vector<std::int64_t> counts(static_cast<std::size_t>(bins), 0);
  histogram_in_range(values, bins, range->min, range->max, counts);
  return entropy_of_counts(counts);
}

double histogram_entropy(const MatrixView& values, int bins) {
  if (values.size() == 0) return 0.0;
  return histogram_entropy(values, bins, min_max(values));
}

double normalized_entropy(const MatrixView& values, int bins, const MinMax& extent) {
  const double normalizer = std::log(static_cast<double>(std::max(bins, 2)));
  return std::clamp(histogram_entropy(values, bins, extent) / normalizer, 0.0, 1.0);
}

double normalized_entropy(const MatrixView& values, int bins) {
  if (values.size() == 0) return 0.0;
  return normalized_entropy(values, bins, min_max(values));
}

double EmaEntropy::update(double normalized_entropy_value) {
  value_ = value_ ? decay_ * *value_ + (1.0 - decay_) * normalized_entropy_value : normalized_entropy_value;
  return *value_;
}

}  // namespace corey::costmodel
