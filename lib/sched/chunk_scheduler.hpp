#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "core/json.hpp"
#include "entropy/stats_op.hpp"
#include "sched/learned_table.hpp"

namespace corey::sched {

// One per-layer decision, with the fields of the authors' per-layer record (PAPER.md §2.4 step 5).
struct Decision {
  std::int64_t chunk = 0;
  std::int64_t raw_chunk = 0;  // before the guard
  bool guarded_fallback = false;
  std::string policy_rule;        // learned tables: the matching rule or "default"; else the scheduler kind
  std::optional<double> entropy;  // the statistic the decision used, in its units (null when none)

  Json to_json() const;
};

// Chooses a chunk per prefill call (one paper scheduler row). Each scheduler declares the statistic it
// needs, so the caller computes only that (rows that need none compute none) and passes it in `features`.
class ChunkScheduler {
 public:
  virtual ~ChunkScheduler() = default;
  virtual std::string name() const = 0;  // the row name, e.g. "sampled_hist_s8"
  virtual std::optional<entropy::Statistic> statistic() const = 0;
  // Decides one chunk. Not const: the random row consumes draws.
  virtual Decision decide(const Features& features) = 0;
  // Back to the initial state (the random row re-seeds, as the authors did before each timed condition).
  virtual void reset() {}
  virtual Json describe() const = 0;  // parameters, for results
};

}  // namespace corey::sched
