#pragma once
#include <cstddef>
#include <vector>

#include "costmodel/histogram_entropy.hpp"

namespace corey::costmodel {

std::size_t next_power_of_two(std::size_t value);

// Row-major matrix that owns its values.
struct Matrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<double> values;
  Matrix() = default;
  Matrix(std::size_t r, std::size_t c) : rows(r), cols(c), values(r * c, 0.0) {}
  double* row(std::size_t r) { return values.data() + r * cols; }
  const double* row(std::size_t r) const { return values.data() + r * cols; }
  MatrixView view() const { return {values.data(), rows, cols, cols}; }
  MatrixView columns(std::size_t first, std::size_t count) const {
    return {values.data() + first, rows, count, cols};
  }
};

// Zero-pads the columns to `width`.
Matrix pad_columns(const Matrix& m, std::size_t width);
// The same into `out`, reusing its storage.
void pad_columns_into(const Matrix& m, std::size_t width, Matrix& out);

// Orthonormal fast Walsh-Hadamard transform of every row (natural order), the authors' butterfly and final
// division by sqrt(n); the row length must be a power of two.
void fwht_rows(Matrix& m);

// max |X Wᵀ - X_rot W_rotᵀ| over all entries (the rotation preserves the projection up to rounding).
// X and W are unpadded (n × d, p × d); X_rot and W_rot are their rotated, padded versions (width 2^k ≥ d).
double max_projection_error(const Matrix& x, const Matrix& w, const Matrix& x_rot, const Matrix& w_rot);

// Share of entries with |v| > threshold·σ, σ the population std (numpy's two-pass order); 0 when σ = 0.
double outlier_ratio(const MatrixView& values, double sigma_threshold = 6.0);

}  // namespace corey::costmodel
