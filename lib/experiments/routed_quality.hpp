#pragma once
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/longbench.hpp"
#include "bench/prompts.hpp"
#include "core/json.hpp"
#include "entropy/stats_op.hpp"
#include "model/model_runner.hpp"
#include "model/tokenizer.hpp"
#include "scan/scan_op.hpp"
#include "sched/scheduler_factory.hpp"

namespace corey::experiments {

// The routed quality check on LongBench (PAPER.md §6.6 with the corrections of F13 and F18).
struct QualityConfig {
  std::vector<std::string> tasks;  // bench::longbench_task names
  std::int64_t samples_per_task = 20;
  std::int64_t sample_offset = 0;  // usable records skipped at the start of each file
  std::vector<std::string> files;  // one JSONL path per task (resolved by the caller)
  bench::OnBadRecord on_bad_record = bench::OnBadRecord::error;
  bool include_ppl = true;
  std::optional<std::int64_t> new_tokens;  // empty: each task's max_new_tokens
  std::int64_t max_tokens = 4096;          // prompt budget (tokens)
  bench::Truncation truncation = bench::Truncation::middle;
  std::vector<std::string> rows;           // scheduler rows compared with passive, routed
  sched::SchedulerConfig scheduler;
  scan::ChunkMode chunk_mode = scan::ChunkMode::inkernel;
  std::int64_t min_seq_len = 16;
  entropy::StatsOp* device_stats = nullptr;  // the rows' statistic of device-memory u (a CUDA runner)
  // Set (the reason) when the task metrics mean nothing, e.g. for a synthetic checkpoint: the passive scores
  // are then null. Only for runs without rows, whose deltas would otherwise be undefined.
  std::optional<std::string> metrics_not_applicable;
  // Untimed passive generates of the first prompt before anything is timed, so one-off costs (kernel
  // loading, allocator and cache warm-up) do not land in the first task's latency.
  std::size_t warmup_generates = 0;
};

struct QualityOutcome {
  Json metrics;       // {data, truncation, max_tokens, passive: [per task], rows: [{row, tasks, overall}], prompts}
  Json chunk_report;  // every scan call checked
  std::optional<std::string> not_honoured;
  std::optional<std::string> not_equivalent;
  std::vector<bench::RecordDefect> bad_records;  // every dirty record of the files read, file:line (dropped)
  std::vector<bench::RecordDefect> notices;      // repaired defects that lose nothing (a byte-order mark)
};

// Per prompt: a passive pass, then each row routed (its scheduler reset before the pass); greedy ids, the
// logits they came from, the task metric of the decoded text against the first answer, and, with
// include_ppl, perplexity on the reference tokens only with the (middle-truncated) prompt as context (F18).
// `passive` summarises the passive pass per task (the checkpoint baselines of PAPER.md §7: score, latency per
// prompt, generated tokens/s, time to first token, reference perplexity); with no rows that is the whole run.
QualityOutcome run_quality(model::ModelRunner& runner, const model::Tokenizer& tokenizer, const QualityConfig& config,
                           const std::atomic<bool>* cancel = nullptr);

}  // namespace corey::experiments
