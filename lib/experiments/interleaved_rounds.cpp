#include "experiments/interleaved_rounds.hpp"

namespace corey::experiments {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

RoundsOutcome run_interleaved_rounds(const RoundsPlan& plan, const stats::MeasureConfig& m,
                                     std::chrono::steady_clock::time_point started, const std::atomic<bool>* cancel) {
  RoundsOutcome out;
  std::size_t round = 0;
  auto cancelled = [&] { return cancel != nullptr && cancel->load(); };
  for (std::size_t w = 0; w < m.warmup_runs; ++w, ++round) {
    if (cancelled()) {
      out.why = "cancelled";
      out.wall_s = seconds_since(started);
      return out;
    }
    plan.run_round(round, false);
  }
  if (plan.after_warmup) plan.after_warmup();
  double measured_s = 0.0;
  while (true) {
    if (cancelled()) {
      out.why = "cancelled";
      break;
    }
    measured_s += plan.run_round(round++, true);
    ++out.rounds;
    const bool test = out.rounds >= m.samples_min && measured_s >= m.min_time_s &&
                      (m.criterion == stats::StopCriterion::sample_count || (out.rounds - m.samples_min) % plan.test_every == 0);
    if (test && plan.criterion_met(out.why)) {
      out.converged = true;
      break;
    }
    if (out.rounds >= m.samples_max) {
      out.why = "max_samples";
      break;
    }
    if (seconds_since(started) >= m.timeout_s) {
      out.why = "timeout";
      break;
    }
  }
  out.wall_s = seconds_since(started);
  return out;
}

Json interleaved_rounds_json(const RoundsOutcome& outcome, const stats::MeasureConfig& m, std::size_t cells) {
  return Json{{"mode", "e2e"},
              {"timer", "steady_clock"},
              {"order", "interleaved_rotated"},
              {"cells", cells},
              {"warmup_rounds", m.warmup_runs},
              {"rounds", outcome.rounds},
              {"wall_s", outcome.wall_s},
              {"stop",
               {{"criterion", std::string(stats::to_string(m.criterion))}, {"converged", outcome.converged}, {"why", outcome.why}}}};
}

std::optional<std::pair<results::Status, std::string>> rounds_shortfall(const Json& measure) {
  const std::string why = measure["stop"]["why"].get<std::string>();
  const auto rounds = measure["rounds"].get<std::size_t>();
  if (why == "cancelled")
    return std::pair{results::Status::failed, "cancelled after " + std::to_string(rounds) + " measured rounds"};
  if (rounds == 0) return std::pair{results::Status::timeout, "no measured round (" + why + ")"};
  return std::nullopt;
}

}  // namespace corey::experiments
