#include "stats/wall_clock.hpp"

#include <chrono>

namespace corey::stats {

double SteadyWallClock::now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace corey::stats
