#include "stats/time_stats.hpp"

#include "stats/median_ci.hpp"
#include "stats/quantile.hpp"
#include "stats/summary.hpp"

namespace corey::stats {

Json time_stats_json(std::span<const double> samples, double level) {
  Json j = summarize(samples).to_json();
  const auto sorted = sorted_copy(samples);
  j["ci"] = median_ci_sorted(sorted, level).to_json();
  return j;
}

}  // namespace corey::stats
