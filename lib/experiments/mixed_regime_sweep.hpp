#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "entropy/stats_op.hpp"
#include "model/model_runner.hpp"
#include "scan/scan_op.hpp"
#include "sched/scheduler_factory.hpp"
#include "stats/measure_config.hpp"

namespace corey::experiments {

// One tokenized prompt of the mixed-regime study.
struct RegimeCell {
  std::string id;
  std::string regime;
  std::int64_t sample = 0;             // i within its regime
  std::vector<std::int32_t> ids;       // after truncation
  std::int64_t original_tokens = 0;
  bool fit = false;                    // in the fit half (rules and oracles are chosen on these)
  bool holdout = false;                // in the evaluation half
};

struct SweepConfig {
  std::vector<std::int64_t> chunks;    // static arms static_chunk_<Q>
  std::vector<std::string> policies;   // further scheduler rows (entropy, guarded, tables)
  sched::SchedulerConfig scheduler;
  std::int64_t new_tokens = 4;
  std::int64_t min_seq_len = 16;
  scan::ChunkMode chunk_mode = scan::ChunkMode::inkernel;
  stats::MeasureConfig measure;        // warmup.runs = warm-up rounds; samples/stop = measured rounds
  entropy::StatsOp* device_stats = nullptr;  // host rows' statistic of device-memory u (a CUDA runner)
};

// What the sweep measured: samples[p][a][r] = total generate time of prompt p under arm a in round r.
struct SweepOutcome {
  std::vector<std::string> arms;  // static_chunk_<Q> for every chunk (in order), then the policies
  std::vector<std::vector<std::vector<double>>> samples;
  std::vector<std::vector<std::map<std::int64_t, std::int64_t>>> decisions;  // measured rounds' chunks per layer
  std::size_t rounds = 0;
  Json measure;       // {mode, timer, order, cells, warmup_rounds, rounds, wall_s, stop}
  Json chunk_report;  // the honoured-chunk check over every scan call
  std::optional<std::string> not_honoured;
};

std::string static_arm(std::int64_t chunk);  // "static_chunk_<Q>"

// Runs every (prompt, arm) cell routed (the arm's decision is the scan's chunk) in ONE process on ONE model:
// warm-up rounds, then measured rounds until the stopping rule ends them; each round runs every cell once
// in rotated order (routed_order.hpp), so drift hits all cells alike and samples pair by round. One sample =
// one greedy generate of `new_tokens` tokens; every scan call is checked against the chunk asked for.
SweepOutcome run_regime_sweep(model::ModelRunner& runner, const std::vector<RegimeCell>& prompts, const SweepConfig& config,
                              const std::atomic<bool>* cancel = nullptr);

}  // namespace corey::experiments
