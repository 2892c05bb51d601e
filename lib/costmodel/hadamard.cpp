#include "costmodel/hadamard.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "costmodel/python_numeric.hpp"

namespace corey::costmodel {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;

ConstMap map_block(const Matrix& m, std::size_t first_row, std::size_t rows, std::size_t cols) {
  return ConstMap(m.row(first_row), static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols),
                  Eigen::OuterStride<>(static_cast<Eigen::Index>(m.cols)));
}

}  // namespace

std::size_t next_power_of_two(std::size_t value) {
  if (value < 1) throw std::invalid_argument("next_power_of_two: value must be positive");
  std::size_t p = 1;
  while (p < value) p <<= 1;
  return p;
}

void pad_columns_into(const Matrix& m, std::size_t width, Matrix& out) {
  out.rows = m.rows;
  out.cols = width;
  out.values.resize(m.rows * width);
  for (std::size_t r = 0; r < m.rows; ++r) {
    std::copy(m.row(r), m.row(r) + m.cols, out.row(r));
    std::fill(out.row(r) + m.cols, out.row(r) + width, 0.0);
  }
}

Matrix pad_columns(const Matrix& m, std::size_t width) {
  Matrix out;
  pad_columns_into(m, width, out);
  return out;
}

void fwht_rows(Matrix& m) {
  const std::size_t n = m.cols;
  const double divisor = std::sqrt(static_cast<double>(n));
  // When sqrt(n) is a power of two (n = 4^k, e.g. 256) its reciprocal is exact and multiplying is identical
  // to the authors' division.
  int exponent = 0;
  const bool exact_reciprocal = std::frexp(divisor, &exponent) == 0.5;
  const double reciprocal = 1.0 / divisor;
  for (std::size_t r = 0; r < m.rows; ++r) {
    double* v = m.row(r);
    for (std::size_t block = 1; block < n; block *= 2) {
      for (std::size_t start = 0; start < n; start += 2 * block) {
        double* left = v + start;
        double* right = v + start + block;
        for (std::size_t i = 0; i < block; ++i) {
          const double a = left[i];
          const double b = right[i];
          left[i] = a + b;
          right[i] = a - b;
        }
      }
    }
    if (exact_reciprocal) {
      for (std::size_t i = 0; i < n; ++i) v[i] *= reciprocal;
    } else {
      for (std::size_t i = 0; i < n; ++i) v[i] /= divisor;
    }
  }
}

double max_projection_error(const Matrix& x, const Matrix& w, const Matrix& x_rot, const Matrix& w_rot) {
  // The padded columns of X and W are zero and add exact zeros to every product, so the reference
  // projection is taken over the original width.
  constexpr std::size_t block_rows = 512;
  const auto w_ref = map_block(w, 0, w.rows, w.cols);
  const auto w_rotated = map_block(w_rot, 0, w_rot.rows, w_rot.cols);
  RowMatrix reference;
  RowMatrix projected;
  double worst = 0.0;
  for (std::size_t first = 0; first < x.rows; first += block_rows) {
    const std::size_t rows = std::min(block_rows, x.rows - first);
    reference.noalias() = map_block(x, first, rows, x.cols) * w_ref.transpose();
    projected.noalias() = map_block(x_rot, first, rows, x_rot.cols) * w_rotated.transpose();
    worst = std::max(worst, (reference - projected).cwiseAbs().maxCoeff());
  }
  return worst;
}

double outlier_ratio(const MatrixView& values, double sigma_threshold) {
  const std::size_t n = values.size();
  if (n == 0) return 0.0;
  std::vector<double> copy;
  const double* flat = values.data;
  if (values.stride != values.cols) {
    copy.reserve(n);
    values.for_each([&](double v) { copy.push_back(v); });
    flat = copy.data();
  }
  const auto count = static_cast<double>(n);
  const double mean = numpy_pairwise_sum(flat, n, [](double v) { return v; }) / count;
  const double sigma = std::sqrt(numpy_pairwise_sum(flat, n, [mean](double v) {
                                   const double d = v - mean;
                                   return d * d;
                                 }) /
                                 count);
  if (sigma == 0) return 0.0;
  const double limit = sigma_threshold * sigma;
  std::size_t outliers = 0;
  for (std::size_t i = 0; i < n; ++i) outliers += std::fabs(flat[i]) > limit;
  return static_cast<double>(outliers) / count;
}

}  // namespace corey::costmodel
