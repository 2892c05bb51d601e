#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/json.hpp"
#include "entropy/cpu_stats.hpp"
#include "experiments/mixed_regime_sweep.hpp"
#include "experiments/routed_generate.hpp"
#include "experiments/routed_hook.hpp"
#include "model/model_runner.hpp"
#include "sched/chunk_scheduler.hpp"

namespace corey::experiments {

// The greedy generates of a mixed-regime study (feature scan and sweep): a host scheduler hooked into every
// prefill layer (routed_hook.hpp) under a condition, and every scan call of every generate checked against the
// chunk the hook asked for (F8), the check accumulated over the study.
class CheckedGenerator {
 public:
  CheckedGenerator(model::ModelRunner& runner, const SweepConfig& config) : runner_(runner), config_(config) {}

  // One generate of config.new_tokens tokens; `trace` receives the hook's decisions, `what` names the call
  // in a failure ("round 3 short_chat:000/static_chunk_128").
  GenerateSample run(std::span<const std::int32_t> ids, sched::ChunkScheduler& scheduler, Condition condition,
                     const std::string& what, HookTrace& trace);

  Json chunk_report() const;  // ChunkCheck::to_json of every call so far
  const std::optional<std::string>& not_honoured() const { return check_.first_failure(); }

 private:
  model::ModelRunner& runner_;
  const SweepConfig& config_;
  entropy::CpuStats stats_;
  ChunkCheck check_;
};

}  // namespace corey::experiments
