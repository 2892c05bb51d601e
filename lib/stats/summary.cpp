#include "stats/summary.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "stats/finite_json.hpp"
#include "stats/quantile.hpp"

namespace corey::stats {

Summary summarize(std::span<const double> samples) {
  if (samples.empty()) throw std::invalid_argument("summary of an empty sample set");
  const auto sorted = sorted_copy(samples);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Summary s;
  s.n = sorted.size();
  double sum = 0;
  for (double x : sorted) sum += x;
  s.mean = sum / static_cast<double>(s.n);
  // Two-pass variance: the deviations are small next to the values for timings, where the one-pass
  // formula would cancel catastrophically.
  double squares = 0;
  for (double x : sorted) squares += (x - s.mean) * (x - s.mean);
  s.stdev = s.n > 1 ? std::sqrt(squares / static_cast<double>(s.n - 1)) : nan;
  s.cv = s.mean != 0 ? s.stdev / s.mean : nan;
  s.median = median_sorted(sorted);
  s.q1 = quantile_sorted(sorted, 0.25);
  s.q3 = quantile_sorted(sorted, 0.75);
  s.iqr = s.q3 - s.q1;
  s.rel_iqr = s.median != 0 ? s.iqr / s.median : nan;
  s.min = sorted.front();
  s.max = sorted.back();
  s.p05 = quantile_sorted(sorted, 0.05);
  s.p95 = quantile_sorted(sorted, 0.95);
  return s;
}

Json Summary::to_json() const {
  Json j = Json::object();
  j["median"] = finite_or_null(median);
  j["mean"] = finite_or_null(mean);
  j["stdev"] = finite_or_null(stdev);
  j["cv"] = finite_or_null(cv);
  j["q1"] = finite_or_null(q1);
  j["q3"] = finite_or_null(q3);
  j["iqr"] = finite_or_null(iqr);
  j["rel_iqr"] = finite_or_null(rel_iqr);
  j["min"] = finite_or_null(min);
  j["max"] = finite_or_null(max);
  j["p05"] = finite_or_null(p05);
  j["p95"] = finite_or_null(p95);
  return j;
}

}  // namespace corey::stats
