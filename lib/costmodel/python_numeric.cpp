#include "costmodel/python_numeric.hpp"

#include <array>
#include <bit>
#include <cstdint>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace corey::costmodel {
namespace {

constexpr std::array<double, 23> powers_of_ten = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// Sign of a non-overlapping expansion: that of its largest component, which fsum keeps last.
int expansion_sign(const std::vector<double>& partials) {
  for (auto it = partials.rbegin(); it != partials.rend(); ++it)
    if (*it != 0.0) return *it > 0 ? 1 : -1;
  return 0;
}

void expansion_add(std::vector<double>& partials, double x) {
  std::size_t used = 0;
  for (double y : partials) {
    if (std::fabs(x) < std::fabs(y)) std::swap(x, y);
    const double hi = x + y;
    const double lo = y - (hi - x);
    if (lo != 0.0) partials[used++] = lo;
    x = hi;
  }
  partials.resize(used);
  partials.push_back(x);
}

double expansion_estimate(const std::vector<double>& partials) {
  double total = 0.0;
  for (double p : partials) total += p;
  return total;
}

}  // namespace

double python_round(double value, int ndigits) {
  if (!std::isfinite(value) || value == 0.0) return value;
  if (ndigits < 0 || ndigits >= static_cast<int>(powers_of_ten.size()))
    throw std::invalid_argument("python_round: ndigits out of range");
  const double scale = powers_of_ten[static_cast<std::size_t>(ndigits)];
  const double scaled = value * scale;
  if (std::fabs(scaled) >= 4503599627370496.0) return value;  // no fractional decimals left at this scale
  // Fast path: `scaled` carries at most half an ulp of error, so it decides the rounding whenever it is not
  // within a few ulps of a half-integer. Near ties, the exact decimal expansion (printf) decides.
  const double fraction = std::fabs(scaled - std::trunc(scaled));
  const double slack = 4.0 * std::fabs(std::nextafter(scaled, 0.0) - scaled) + 1e-300;
  if (std::fabs(fraction - 0.5) > slack) return std::nearbyint(scaled) / scale;
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, "%.*f", ndigits, value);
  return std::strtod(buffer, nullptr);
}

double numpy_round(double value, int decimals) {
  const double scale = powers_of_ten.at(static_cast<std::size_t>(decimals));
  return std::nearbyint(value * scale) / scale;
}

void ExactSum::add(double value) { expansion_add(partials_, value); }

double ExactSum::mean(std::size_t count) const {
  if (count == 0) throw std::invalid_argument("mean of no values");
  const auto n = static_cast<double>(count);
  double q = expansion_estimate(partials_) / n;
  // q is within an ulp or two of the exact quotient; settle it by the exact sign of S - q*n against half an ulp.
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (!std::isfinite(q)) return q;
    const double product = q * n;
    const double product_error = std::fma(q, n, -product);
    std::vector<double> residual = partials_;
    expansion_add(residual, -product);
    expansion_add(residual, -product_error);
    const double up = std::nextafter(q, HUGE_VAL);
    const double down = std::nextafter(q, -HUGE_VAL);
    const int sign = expansion_sign(residual);
    // Distance to the neighbour on the side of the residual; the quotient belongs to q when the residual is
    // at most half of that gap times n.
    const double neighbour = sign >= 0 ? up : down;
    const double half_gap_n = std::fabs(neighbour - q) * 0.5 * n;  // exact: power of two times small integer
    std::vector<double> excess = residual;
    expansion_add(excess, sign >= 0 ? -half_gap_n : half_gap_n);
    const int beyond = expansion_sign(excess) * (sign >= 0 ? 1 : -1);
    if (beyond < 0 || sign == 0) return q;
    if (beyond == 0) {  // exact tie: round half to even
      const bool q_even = (std::bit_cast<std::uint64_t>(q) & 1U) == 0;
      return q_even ? q : neighbour;
    }
    q = neighbour;
  }
  return q;
}

double python_mean(std::span<const double> values) {
  ExactSum sum;
  for (double v : values) sum.add(v);
  return sum.mean(values.size());
}

}  // namespace corey::costmodel
