#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "entropy/cpu_stats.hpp"
#include "model/model_runner.hpp"
#include "sched/chunk_scheduler.hpp"

namespace corey::experiments {

// The timed conditions of the routed harness (PAPER.md §2.5).
enum class Condition {
  passive,      // no scheduler: every layer's scan runs the whole prompt as one chunk
  active_only,  // statistic and decision per layer, not passed to the scan
  routed,       // the decision is the scan's chunk
};

std::string_view to_string(Condition condition);
Condition condition_from_string(std::string_view name);  // throws corey::Error (usage)

// What the hook did during one prefill: the chunk it asked each layer's scan for, the scheduler's
// decisions and the statistics they used (scheduled layers only) and the time spent on the statistic.
struct HookTrace {
  std::vector<std::int64_t> intended;
  std::vector<std::int64_t> chosen;
  std::vector<double> entropies;
  double stats_s = 0.0;
};

// The per-layer chunk hook of one (scheduler, condition): prefill calls shorter than `min_seq_len` are not
// scheduled (the whole prompt is one chunk, as the authors' hook leaves them); otherwise the statistic the
// scheduler declares (none for rows that need none) is computed on the layer's post-conv u, the scheduler
// decides, and routed returns the decision while active-only returns the whole prompt. Everything is
// appended to `trace`, which must outlive the prefill. Host-memory u goes to `stats`; device-memory u (a CUDA
// runner) to `device_stats`, whose value comes back to the host; without one such a layer throws
// corey::Error (usage).
model::ChunkHook make_scheduler_hook(sched::ChunkScheduler& scheduler, Condition condition, std::int64_t min_seq_len,
                                     entropy::CpuStats& stats, HookTrace& trace, entropy::StatsOp* device_stats = nullptr);

// The honoured-chunk check of every scan call (F8): the scan must have been asked for, and must report
// having run, exactly the chunk the harness intended, with the expected number of chunks and every token.
class ChunkCheck {
 public:
  // `what` names the call in a failure message ("round 3 hist/routed").
  void check(const std::string& what, const std::vector<std::int64_t>& intended,
             const std::vector<model::LayerScanRecord>& scans);
  // A call the harness cannot accept for another reason (a backend rule that reported no decision).
  void fail(const std::string& what);

  bool honoured() const { return !first_failure_; }
  const std::optional<std::string>& first_failure() const { return first_failure_; }
  bool bitwise_chunk_invariant() const { return bitwise_chunk_invariant_; }
  // {impl, mode, scan_calls, honoured_calls, honoured, recurrence_preserving, bitwise_chunk_invariant, checked}
  Json to_json(std::string_view impl, std::string_view mode) const;

 private:
  std::int64_t scan_calls_ = 0;
  std::int64_t honoured_calls_ = 0;
  bool bitwise_chunk_invariant_ = true;
  bool recurrence_preserving_ = true;
  std::optional<std::string> first_failure_;
};

}  // namespace corey::experiments
