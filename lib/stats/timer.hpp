#pragma once
#include <string_view>

namespace corey::stats {

// What one sample costs (ARCHITECTURE.md §3): a backend times the work between start() and stop_s().
// The CPU backend uses SteadyTimer; the CUDA backend records events on its stream. The name goes into a
// record's "measure.timer".
class Timer {
 public:
  virtual ~Timer() = default;
  virtual std::string_view name() const = 0;
  virtual void start() = 0;
  // Seconds since the matching start(), after the timed work has finished.
  virtual double stop_s() = 0;
};

}  // namespace corey::stats
