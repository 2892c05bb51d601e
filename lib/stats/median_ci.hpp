#pragma once
#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "core/json.hpp"

namespace corey::stats {

// 1-based order statistics [x_(lo_rank), x_(hi_rank)] bracketing the median, and the exact coverage
// 1 − 2·F(lo_rank − 1) of that interval, F being the Binomial(n, ½) CDF.
struct OrderStatisticRanks {
  std::size_t lo_rank = 0;
  std::size_t hi_rank = 0;
  double coverage = 0;
};

// The widest-l rule of HARNESS.md §4.4.1: l = max{ j ≥ 1 : F(j − 1) ≤ α/2 } with α = 1 − level, ranks
// (l, n − l + 1). nullopt when no such l exists (n ≤ 5 at 95 %). Exact and free of random numbers.
// Throws std::invalid_argument unless 0 < level < 1.
std::optional<OrderStatisticRanks> median_ci_ranks(std::size_t n, double level);

// The distribution-free confidence interval of the median by order statistics.
struct MedianCi {
  double level = 0;
  std::optional<OrderStatisticRanks> ranks;  // nullopt: no interval exists at this n and level
  double lo = 0;
  double hi = 0;

  bool exists() const { return ranks.has_value(); }
  // (hi − lo) / (2·median), the stopping rule's precision measure (§4.5); NaN without an interval.
  double rel_halfwidth(double median) const;
  // The "ci" object of a record's "time_s" block: {stat, level, lo, hi, method, coverage, rank_lo,
  // rank_hi}; without an interval lo and hi are null and "reason" is "n_too_small".
  Json to_json() const;
};

// `sorted` must be ascending. Throws std::invalid_argument unless 0 < level < 1.
MedianCi median_ci_sorted(std::span<const double> sorted, double level);

}  // namespace corey::stats
