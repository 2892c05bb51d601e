#include "stats/measure_loop.hpp"

#include <cmath>
#include <stdexcept>

#include "stats/finite_json.hpp"

namespace corey::stats {

Json Measurement::to_json() const {
  Json j = Json::object();
  j["warmup_runs"] = warmup_runs;
  j["n"] = samples_s.size();
  j["discarded_throttle"] = discarded;
  j["wall_s"] = finite_or_null(wall_s);
  j["stop"] = stop.to_json();
  return j;
}

MeasureLoop::MeasureLoop(MeasureConfig config, WallClock& clock, StopRule::RatioHalfwidth ratio_rel_halfwidth)
    : config_(config), clock_(clock), ratio_rel_halfwidth_(std::move(ratio_rel_halfwidth)) {
  // Fail at construction rather than after the warm-up.
  StopRule check(config_, ratio_rel_halfwidth_);
}

Measurement MeasureLoop::run(const SampleSource& sample_once, const std::atomic<bool>* cancel) const {
  const auto cancelled = [cancel] { return cancel != nullptr && cancel->load(); };
  Measurement m;
  const double start_s = clock_.now_s();
  const auto elapsed_s = [&] { return clock_.now_s() - start_s; };

  while (m.warmup_runs < config_.warmup_runs ||
         (elapsed_s() < config_.warmup_min_time_s && elapsed_s() < config_.timeout_s)) {
    if (cancelled()) {
      m.wall_s = elapsed_s();
      m.stop = Stop{config_.criterion, false, "cancelled"};
      return m;
    }
    sample_once();
    ++m.warmup_runs;
  }

  StopRule rule(config_, ratio_rel_halfwidth_);
  while (true) {
    if (cancelled()) {
      m.stop = Stop{config_.criterion, false, "cancelled"};
      break;
    }
    const std::optional<double> sample = sample_once();
    if (sample) {
      if (!std::isfinite(*sample) || *sample < 0) {
        throw std::invalid_argument("sample source returned a negative or non-finite time");
      }
      if (auto stop = rule.add(*sample, elapsed_s())) {
        m.stop = std::move(*stop);
        break;
      }
    } else {
      ++m.discarded;
      if (elapsed_s() >= config_.timeout_s) {
        m.stop = Stop{config_.criterion, false, "timeout"};
        break;
      }
    }
  }
  m.samples_s = rule.samples();
  m.wall_s = elapsed_s();
  return m;
}

}  // namespace corey::stats
