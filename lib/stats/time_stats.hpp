#pragma once
#include <span>

#include "core/json.hpp"

namespace corey::stats {

// A record's complete "time_s" block (HARNESS.md §3.3): the Summary statistics plus "ci", the
// order-statistic CI of the median at `level`. Throws std::invalid_argument on an empty sample set.
Json time_stats_json(std::span<const double> samples, double level);

}  // namespace corey::stats
