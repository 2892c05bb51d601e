#pragma once

namespace corey::stats {

// Host wall time for warm-up duration and time-outs. An interface so the measurement loop can be driven
// by a fake clock in tests instead of sleeping.
class WallClock {
 public:
  virtual ~WallClock() = default;
  // Seconds from an arbitrary fixed origin; never decreases.
  virtual double now_s() = 0;
};

// std::chrono::steady_clock.
class SteadyWallClock final : public WallClock {
 public:
  double now_s() override;
};

}  // namespace corey::stats
