#pragma once
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "experiments/routed_hook.hpp"
#include "model/model_runner.hpp"
#include "scan/scan_op.hpp"
#include "sched/scheduler_factory.hpp"
#include "stats/bootstrap.hpp"
#include "stats/measure_config.hpp"

namespace corey::experiments {

struct MatrixConfig {
  std::vector<std::string> rows;  // scheduler row names (sched::make_scheduler, or device_<row>: routed_device_rule.hpp)
  std::vector<Condition> conditions{Condition::passive, Condition::active_only, Condition::routed};
  sched::SchedulerConfig scheduler;
  std::int64_t new_tokens = 32;
  std::int64_t min_seq_len = 16;  // prefill calls shorter than this are not scheduled (the authors' hook)
  scan::ChunkMode chunk_mode = scan::ChunkMode::inkernel;
  stats::MeasureConfig measure;  // warmup.runs = warm-up rounds; samples/stop = measured rounds
  stats::BootstrapConfig bootstrap;
  std::string oracle = "heldout";  // heldout | min-of-means
  entropy::StatsOp* device_stats = nullptr;  // host rows' statistic of device-memory u (a CUDA runner)
};

// What one matrix point measured.
struct MatrixOutcome {
  Json measure;       // {mode: e2e, timer, order, cells, warmup_rounds, rounds, wall_s, stop}
  Json metrics;       // {passive, rows: [...], oracle, host_syncs_per_forward (the most of any row), prompt_tokens}
  Json chunk_report;  // aggregated over every scan call (warm-ups and the equivalence pass included)
  std::optional<std::string> not_honoured;    // the first scan call that did not run the requested chunk
  std::optional<std::string> not_equivalent;  // a bitwise chunk-invariant scan whose routed output differed
  std::size_t rounds = 0;
};

// Runs every (row, condition) cell of one prompt in ONE process on ONE model: first an untimed
// equivalence pass (passive vs each row routed, logits kept), then warm-up rounds, then measured rounds
// until the stopping rule ends them; each round runs every cell once in rotated order (routed_order.hpp).
// One sample = one greedy generate of `new_tokens` tokens. Every scan call of every generate is checked
// against the chunk the harness asked for; a device_<row> cell asks the backend to decide
// (PrefillOptions::backend_rule), takes the backend's per-layer chunks as the ones to check and counts them
// in its histogram like a host row's. Each row owns one scheduler per condition, reset once after the
// equivalence pass, so active-only and routed see the same decision sequence (the random row).
MatrixOutcome run_matrix(model::ModelRunner& runner, std::span<const std::int32_t> prompt, const MatrixConfig& config,
                         const std::atomic<bool>* cancel = nullptr);

}  // namespace corey::experiments
