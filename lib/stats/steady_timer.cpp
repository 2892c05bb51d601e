#include "stats/steady_timer.hpp"

namespace corey::stats {

void SteadyTimer::start() { started_ = std::chrono::steady_clock::now(); }

double SteadyTimer::stop_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

}  // namespace corey::stats
