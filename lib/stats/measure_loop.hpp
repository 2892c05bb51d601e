#pragma once
#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include "core/json.hpp"
#include "stats/measure_config.hpp"
#include "stats/stop_rule.hpp"
#include "stats/wall_clock.hpp"

namespace corey::stats {

// What one measurement produced.
struct Measurement {
  std::vector<double> samples_s;  // recorded samples in measurement order (warm-up excluded)
  std::size_t warmup_runs = 0;
  std::size_t discarded = 0;  // samples the source rejected (throttling, HARNESS.md §4.7)
  double wall_s = 0;          // warm-up plus measurement
  Stop stop;

  // The loop's part of a record's "measure" block: {warmup_runs, n, discarded_throttle, wall_s, stop};
  // the runner adds mode, timer and l2_flush.
  Json to_json() const;
};

// Runs a sample source under the warm-up and stopping rules of HARNESS.md §4.2 and §4.5.
class MeasureLoop {
 public:
  // Runs the work once and returns its time in seconds, or nullopt when the sample must be discarded
  // (it is counted, not recorded). A callable returning double converts to this type.
  using SampleSource = std::function<std::optional<double>()>;

  // `clock` measures warm-up duration and the time-out; it must outlive the loop. `ratio_rel_halfwidth`
  // as for StopRule (criterion ci_ratio only).
  MeasureLoop(MeasureConfig config, WallClock& clock, StopRule::RatioHalfwidth ratio_rel_halfwidth = {});

  // Warm-up: at least warmup.runs calls and, while the time-out allows, until warmup.min_time_s of wall
  // time has passed; their results are ignored. Then samples until the StopRule stops (or `cancel` is
  // set: why "cancelled"). Throws std::invalid_argument when the source returns a negative or
  // non-finite time. A source that discards everything ends with "timeout" and no samples.
  Measurement run(const SampleSource& sample_once, const std::atomic<bool>* cancel = nullptr) const;

 private:
  MeasureConfig config_;
  WallClock& clock_;
  StopRule::RatioHalfwidth ratio_rel_halfwidth_;
};

}  // namespace corey::stats
