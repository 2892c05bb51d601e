#pragma once
#include <cstddef>
#include <span>

#include "core/json.hpp"

namespace corey::stats {

// Descriptive statistics of one sample set (HARNESS.md §4.3); every quantile is type 7.
// Undefined values (stdev of one sample, cv with a zero mean, ...) are NaN and serialize as null.
struct Summary {
  std::size_t n = 0;
  double median = 0;
  double mean = 0;
  double stdev = 0;  // sample standard deviation (n − 1)
  double cv = 0;     // stdev / mean
  double q1 = 0;
  double q3 = 0;
  double iqr = 0;
  double rel_iqr = 0;  // iqr / median
  double min = 0;
  double max = 0;
  double p05 = 0;
  double p95 = 0;

  // The statistics of a record's "time_s" block (§3.3) in its key order, without "ci"; n is recorded
  // in "measure.n" and is not repeated here.
  Json to_json() const;
};

// Throws std::invalid_argument on an empty sample set.
Summary summarize(std::span<const double> samples);

}  // namespace corey::stats
