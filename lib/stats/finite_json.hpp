#pragma once
#include <cmath>

#include "core/json.hpp"

namespace corey::stats {

// Results never contain NaN or Inf (HARNESS.md §3.4): a non-finite statistic is written as null.
inline Json finite_or_null(double value) { return std::isfinite(value) ? Json(value) : Json(nullptr); }

}  // namespace corey::stats
