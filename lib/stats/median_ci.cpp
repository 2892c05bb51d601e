#include "stats/median_ci.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "stats/finite_json.hpp"

namespace corey::stats {

namespace {

// Walks the Binomial(n, ½) CDF upwards with the pmf recurrence C(n, k+1) = C(n, k)·(n − k)/(k + 1) on
// unnormalized terms; the terms are rescaled by 2^-512 whenever they grow large so n of any size stays
// finite, and the exponent is restored when the CDF is read.
class HalfBinomialCdf {
 public:
  explicit HalfBinomialCdf(std::size_t n) : n_(n), exponent_(-static_cast<long long>(n)) {}
  std::size_t k() const { return k_; }
  // F(k) for the current k.
  double value() const {
    return std::ldexp(sum_, static_cast<int>(std::max<long long>(exponent_, std::numeric_limits<int>::min())));
  }
  void advance() {
    term_ *= static_cast<double>(n_ - k_) / static_cast<double>(k_ + 1);
    ++k_;
    sum_ += term_;
    if (term_ > 0x1p512) {
      term_ = std::ldexp(term_, -512);
      sum_ = std::ldexp(sum_, -512);
      exponent_ += 512;
    }
  }

 private:
  std::size_t n_;
  std::size_t k_ = 0;
  // C(n, k) = term_ · 2^(exponent_ + n) and F(k) = sum_ · 2^exponent_.
  double term_ = 1.0;
  double sum_ = 1.0;
  long long exponent_;
};

void check_level(double level) {
  if (!(level > 0.0 && level < 1.0)) throw std::invalid_argument("confidence level must lie in (0, 1)");
}

}  // namespace

std::optional<OrderStatisticRanks> median_ci_ranks(std::size_t n, double level) {
  check_level(level);
  if (n == 0) return std::nullopt;
  // The CDF has rounding error of order k·ε; a relative slack of 1e-12 keeps a CDF value that equals
  // α/2 exactly in real arithmetic on the inclusive side of the test.
  const double half_alpha = (1.0 - level) / 2.0 * (1.0 + 1e-12);
  HalfBinomialCdf cdf(n);
  if (cdf.value() > half_alpha) return std::nullopt;
  // F(l − 1) ≤ α/2 holds for l = 1; grow l while F(l) ≤ α/2 too. F(k) ≥ ½ for k ≥ n/2, so the walk
  // stops before the ranks cross.
  double f_lower = cdf.value();
  while (true) {
    cdf.advance();
    const double next = cdf.value();
    if (next > half_alpha) break;
    f_lower = next;
  }
  const std::size_t l = cdf.k();  // F(l − 1) ≤ α/2 < F(l)
  return OrderStatisticRanks{l, n - l + 1, 1.0 - 2.0 * f_lower};
}

MedianCi median_ci_sorted(std::span<const double> sorted, double level) {
  MedianCi ci;
  ci.level = level;
  ci.ranks = median_ci_ranks(sorted.size(), level);
  if (ci.ranks) {
    ci.lo = sorted[ci.ranks->lo_rank - 1];
    ci.hi = sorted[ci.ranks->hi_rank - 1];
  } else {
    ci.lo = ci.hi = std::numeric_limits<double>::quiet_NaN();
  }
  return ci;
}

double MedianCi::rel_halfwidth(double median) const {
  if (!exists()) return std::numeric_limits<double>::quiet_NaN();
  return (hi - lo) / (2.0 * median);
}

Json MedianCi::to_json() const {
  Json j = Json::object();
  j["stat"] = "median";
  j["level"] = level;
  j["lo"] = exists() ? finite_or_null(lo) : Json(nullptr);
  j["hi"] = exists() ? finite_or_null(hi) : Json(nullptr);
  j["method"] = "order_statistic";
  if (ranks) {
    j["coverage"] = ranks->coverage;
    j["rank_lo"] = ranks->lo_rank;
    j["rank_hi"] = ranks->hi_rank;
  } else {
    j["reason"] = "n_too_small";
  }
  return j;
}

}  // namespace corey::stats
