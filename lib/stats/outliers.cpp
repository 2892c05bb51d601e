#include "stats/outliers.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "stats/finite_json.hpp"
#include "stats/quantile.hpp"

namespace corey::stats {

Outliers find_outliers(std::span<const double> samples) {
  if (samples.empty()) throw std::invalid_argument("outliers of an empty sample set");
  const auto sorted = sorted_copy(samples);
  const double median = median_sorted(sorted);
  const double q1 = quantile_sorted(sorted, 0.25);
  const double q3 = quantile_sorted(sorted, 0.75);
  const double iqr = q3 - q1;

  Outliers out;
  for (double x : samples) {
    if (x < q1 - 3.0 * iqr) {
      ++out.low_severe;
    } else if (x < q1 - 1.5 * iqr) {
      ++out.low_mild;
    } else if (x > q3 + 3.0 * iqr) {
      ++out.high_severe;
    } else if (x > q3 + 1.5 * iqr) {
      ++out.high_mild;
    }
  }

  std::vector<double> deviations(samples.size());
  double max_deviation = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    deviations[i] = std::fabs(samples[i] - median);
    max_deviation = std::max(max_deviation, deviations[i]);
  }
  const double scaled_mad = mad_normal_scale * median_inplace(deviations);
  const double inf = std::numeric_limits<double>::infinity();
  // With MAD = 0 any deviation is infinitely many MADs; no deviation at all is z = 0.
  const auto mad_z = [&](double deviation) {
    if (scaled_mad > 0) return deviation / scaled_mad;
    if (deviation == 0) return 0.0;
    return deviation > 0 ? inf : -inf;
  };
  out.max_mad_z = mad_z(max_deviation);
  out.first_sample_slow = mad_z(samples[0] - median) > first_sample_slow_mad_z;
  return out;
}

Json Outliers::to_json() const {
  Json j = Json::object();
  j["low_mild"] = low_mild;
  j["low_severe"] = low_severe;
  j["high_mild"] = high_mild;
  j["high_severe"] = high_severe;
  j["max_mad_z"] = finite_or_null(max_mad_z);
  j["first_sample_slow"] = first_sample_slow;
  if (!std::isfinite(max_mad_z)) j["reason"] = "mad_zero";
  return j;
}

}  // namespace corey::stats
