#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace corey::costmodel {

// A view of a row-major matrix block: `rows` rows of `cols` values, `stride` values apart.
struct MatrixView {
  const double* data = nullptr;
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::size_t stride = 0;
  template <typename F>
  void for_each(F&& f) const {
    for (std::size_t r = 0; r < rows; ++r) {
      const double* row = data + r * stride;
      for (std::size_t c = 0; c < cols; ++c) f(row[c]);
    }
  }
  std::size_t size() const { return rows * cols; }
};

struct MinMax {
  double min = 0.0;
  double max = 0.0;
};
MinMax min_max(const MatrixView& values);

// Per-column minimum and maximum of a row-major block, in one pass.
struct ColumnExtents {
  std::vector<double> min;
  std::vector<double> max;
  MinMax over(std::size_t first, std::size_t count) const;  // extent of columns [first, first + count)
};
ColumnExtents column_extents(const MatrixView& values);

// np.isclose(a, b) with its default tolerances.
bool numpy_isclose(double a, double b);

// np.histogram(values, bins, range=(lo, hi)) for equal bins: numpy's edge arithmetic, so values that fall
// on an edge land in the same bin as numpy puts them; values outside [lo, hi] are dropped.
std::vector<std::int64_t> numpy_histogram(const MatrixView& values, int bins, double lo, double hi);

// One histogram of a column range of a matrix, over a range that contains all of its values.
struct HistogramJob {
  std::size_t first_column = 0;
  std::size_t columns = 0;
  int bins = 0;
  double lo = 0.0;
  double hi = 0.0;
  std::vector<std::int64_t> counts;  // filled by run_histogram_jobs
};
// Runs several histograms over one matrix in a single sweep of row blocks, so the matrix is read from memory
// once however many histograms it feeds; each count is numpy's.
void run_histogram_jobs(const MatrixView& values, std::vector<HistogramJob>& jobs);

// The same for values known to lie inside [lo, hi] (skips the range test).
std::vector<std::int64_t> numpy_histogram_in_range(const MatrixView& values, int bins, double lo, double hi);

// The bin edges numpy uses: linspace(lo, hi, bins + 1).
std::vector<double> numpy_bin_edges(int bins, double lo, double hi);

// The authors' histogram range: [min - m, max + m], m = max(5 % of the span, 1e-6); empty when min ≈ max.
std::optional<MinMax> margin_range(const MinMax& extent);

// E-proto (PAPER.md §2.2): -sum p ln(p + 1e-12) over the non-empty bins, in numpy's summation order.
double entropy_of_counts(const std::vector<std::int64_t>& counts);
double histogram_entropy(const MatrixView& values, int bins);
// The same when the extent of `values` is known already.
double histogram_entropy(const MatrixView& values, int bins, const MinMax& extent);
// clip(H / ln max(bins, 2), 0, 1)
double normalized_entropy(const MatrixView& values, int bins);
double normalized_entropy(const MatrixView& values, int bins, const MinMax& extent);

// The authors' ExponentialMovingEntropy: first update sets the value, later ones mix with `decay`.
class EmaEntropy {
 public:
  explicit EmaEntropy(double decay) : decay_(decay) {}
  double update(double normalized_entropy_value);

 private:
  double decay_;
  std::optional<double> value_;
};

}  // namespace corey::costmodel
