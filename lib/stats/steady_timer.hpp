#pragma once
#include <chrono>

#include "stats/timer.hpp"

namespace corey::stats {

// Host timing with std::chrono::steady_clock (monotonic; the CPU backend's Timer).
class SteadyTimer final : public Timer {
 public:
  std::string_view name() const override { return "steady_clock"; }
  void start() override;
  double stop_s() override;

 private:
  std::chrono::steady_clock::time_point started_{};
};

}  // namespace corey::stats
