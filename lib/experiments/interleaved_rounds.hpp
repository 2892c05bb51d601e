#pragma once
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "core/json.hpp"
#include "results/record.hpp"
#include "stats/measure_config.hpp"

namespace corey::experiments {

// One study's rounds (HARNESS.md §4.8): each round runs every cell once (in the caller's rotated order).
struct RoundsPlan {
  // Runs round `round` (counted from 0 over warm-ups and measured rounds); returns its measured seconds.
  std::function<double(std::size_t round, bool measured)> run_round;
  // Whether the spec's stopping criterion holds on the samples so far; sets `why` when it does.
  std::function<bool(std::string& why)> criterion_met;
  std::function<void()> after_warmup;  // optional: e.g. reset schedulers so measured rounds start fresh
  // Criteria other than sample_count are tested at samples_min and then every `test_every` measured rounds
  // (an expensive criterion, a bootstrap, is not run after every round).
  std::size_t test_every = 1;
};

struct RoundsOutcome {
  std::size_t rounds = 0;  // measured rounds
  bool converged = false;
  std::string why;         // the criterion met, or max_samples, timeout, cancelled
  double wall_s = 0;       // since `started`
};

// Warm-up rounds, then measured rounds until the stopping rule ends them: as the StopRule, a criterion met at
// a test wins over max_samples, which wins over the time-out (measured from `started`); a set `cancel` stops
// before the next round, warm-up or measured.
RoundsOutcome run_interleaved_rounds(const RoundsPlan& plan, const stats::MeasureConfig& measure,
                                     std::chrono::steady_clock::time_point started, const std::atomic<bool>* cancel);

// The record's `measure` block: {mode: e2e, timer, order, cells, warmup_rounds, rounds, wall_s, stop}.
Json interleaved_rounds_json(const RoundsOutcome& outcome, const stats::MeasureConfig& measure, std::size_t cells);

// Why a study whose rounds ended as `measure` (that block) cannot stand as `ok`: cancelled (failed, so the
// runner drops it and --resume measures it again instead of keeping a study cut short) or no measured round
// (timeout). Empty when it can.
std::optional<std::pair<results::Status, std::string>> rounds_shortfall(const Json& measure);

}  // namespace corey::experiments
