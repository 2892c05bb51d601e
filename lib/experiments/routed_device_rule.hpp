#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "model/model_runner.hpp"
#include "sched/chunk_scheduler.hpp"
#include "sched/scheduler_factory.hpp"

namespace corey::experiments {

// A `device_<row>` scheduler row (PAPER.md §10 row 10, honest variant of F7): the statistic, chunk rule and
// guard of the host row `<row>` evaluated by the model backend itself (model::BackendChunkRule), so on CUDA
// the statistic and the decision never leave the GPU and a prefill needs no host sync. Bases: hist,
// sampled_hist_s<k>, token_hist_s<k>, the three proxies, guarded_ of any of these, and seqlen_table, which
// needs no statistic at all: its chunk is decided once per prefill on the host from the known seq_len.
struct DeviceRow {
  std::string row;                                  // "device_sampled_hist_s8"
  std::string host_row;                             // "sampled_hist_s8"
  std::unique_ptr<sched::ChunkScheduler> host;      // the host row's scheduler (statistic, description)
  std::optional<model::BackendChunkRule> backend;   // null for device_seqlen_table

  // The decision the host row makes from the entropy the backend reported (rule, then guard).
  std::int64_t decide_from_entropy(double entropy) const;
};

bool is_device_row(std::string_view row);

// Throws corey::Error (usage) for a base that is neither a statistic-and-rule row nor seqlen_table.
DeviceRow make_device_row(std::string_view row, const sched::SchedulerConfig& config);

// The active-only form of a backend rule: the same statistic and rule are evaluated, then the guard always
// falls back to the whole prompt, so the scan runs as passive does (the interface has no observe-only flag).
model::BackendChunkRule observe_only(model::BackendChunkRule rule, std::int64_t seqlen);

}  // namespace corey::experiments
