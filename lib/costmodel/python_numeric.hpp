#pragma once
#include <cstddef>
#include <span>
#include <vector>

namespace corey::costmodel {

// Python's round(x, ndigits) for floats: the exact binary value rounded to ndigits decimals (half to even on
// exact ties), returned as the nearest double. The authors round every CSV value this way.
double python_round(double value, int ndigits);

// numpy's np.round(x, decimals) = rint(x * 10^d) / 10^d (differs from python_round near ties).
double numpy_round(double value, int decimals);

// An exact running sum of doubles (Shewchuk's non-overlapping expansion, as math.fsum keeps it).
class ExactSum {
 public:
  void add(double value);
  // The exact sum divided by `count`, correctly rounded: statistics.mean's result for float data.
  double mean(std::size_t count) const;
  double value() const { return mean(1); }

 private:
  std::vector<double> partials_;
};

// statistics.mean of floats (exact sum, one rounding).
double python_mean(std::span<const double> values);

// numpy's pairwise summation of a contiguous float64 array (np.add.reduce / ndarray.sum order), of
// f(values[i]) when a transform is given (numpy materializes f first; the sum order is the same).
template <typename F>
double numpy_pairwise_sum(const double* values, std::size_t n, F f) {
  if (n < 8) {
    double res = 0.0;
    for (std::size_t i = 0; i < n; ++i) res += f(values[i]);
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (std::size_t j = 0; j < 8; ++j) r[j] = f(values[j]);
    std::size_t i = 8;
    for (; i + 8 <= n; i += 8)
      for (std::size_t j = 0; j < 8; ++j) r[j] += f(values[i + j]);
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += f(values[i]);
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return numpy_pairwise_sum(values, n2, f) + numpy_pairwise_sum(values + n2, n - n2, f);
}

inline double numpy_pairwise_sum(std::span<const double> values) {
  return numpy_pairwise_sum(values.data(), values.size(), [](double v) { return v; });
}

}  // namespace corey::costmodel
