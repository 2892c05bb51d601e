#pragma once
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "stats/measure_config.hpp"

namespace corey::stats {

// Why a measurement stopped; the record's "measure.stop" block (HARNESS.md §3.3, §4.5).
struct Stop {
  StopCriterion criterion = StopCriterion::ci;
  bool converged = false;
  // "rel_halfwidth<=0.01", "ratio_rel_halfwidth<=0.005", "rel_stdev<=0.005", "sample_count",
  // "noise_plateau", "max_samples", "timeout" or "cancelled".
  std::string why;

  Json to_json() const;  // {criterion, converged, why}
};

// The stopping rule of HARNESS.md §4.5, fed one sample at a time:
//  1. stop at samples.max ("max_samples") or when the wall time reaches stop.timeout_s ("timeout");
//     for sample_count, stop (converged) at exactly samples.min;
//  2. otherwise continue while n < samples.min or the accumulated sample time < stop.min_time_s;
//  3. then test at the first sample that satisfies 2 and every 16 samples after it: the criterion
//     (converged) and, failing that, the noise plateau (not converged): the relative stdev of the most
//     recent relative-stdev estimates (one per sample from n = 2 on, the last 512 kept, at least 64
//     needed) is below 5 % (NVBench's fallback for inherently noisy work).
// A criterion met at a test wins over max_samples at the same sample; max_samples wins over timeout.
class StopRule {
 public:
  static constexpr std::size_t check_every = 16;
  static constexpr std::size_t noise_history = 512;
  static constexpr std::size_t noise_history_min = 64;
  static constexpr double noise_plateau_rel_stdev = 0.05;

  // For criterion ci_ratio: given this point's samples so far, the relative half-width of the CI of their
  // ratio against the reference row (the caller owns the reference samples and the pairing). Required for
  // ci_ratio (std::invalid_argument without it), unused otherwise.
  using RatioHalfwidth = std::function<double(std::span<const double> samples_s)>;

  explicit StopRule(const MeasureConfig& config, RatioHalfwidth ratio_rel_halfwidth = {});

  // Records the next sample (seconds) and decides; `elapsed_s` is the wall time since the measurement
  // (warm-up included) began. nullopt: take another sample.
  std::optional<Stop> add(double sample_s, double elapsed_s);

  // The samples recorded so far, in measurement order.
  const std::vector<double>& samples() const { return samples_; }

 private:
  bool criterion_met(std::string& why);
  bool noise_plateau() const;
  Stop stop(bool converged, std::string why) const;

  MeasureConfig config_;
  RatioHalfwidth ratio_rel_halfwidth_;
  std::vector<double> samples_;
  std::vector<double> scratch_;  // reordered copy for the median CI test
  double sum_s_ = 0;
  // Welford running mean and sum of squared deviations for the per-sample noise estimate.
  double running_mean_ = 0;
  double running_m2_ = 0;
  std::vector<double> noise_;  // ring buffer of relative-stdev estimates
  std::size_t noise_next_ = 0;
  std::optional<std::size_t> last_check_n_;
};

}  // namespace corey::stats
