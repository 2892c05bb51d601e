#pragma once
#include <memory>
#include <optional>
#include <string_view>

#include "sched/chunk_scheduler.hpp"
#include "sched/learned_table.hpp"

namespace corey::sched {

// Parameters shared by the scheduler rows of one run (HARNESS.md §2.6 routed-ablation keys).
struct SchedulerConfig {
  std::int64_t c_min = 128;  // adaptive_range
  std::int64_t c_max = 2048;
  int bins = 256;
  std::int64_t stride = 8;  // learned_table's histogram stride (the *_s<k> rows carry their own)
  double h_ref = 0.0;       // <= 0: ln(bins), the routed harness's hard-wired value
  entropy::Rounding rounding = entropy::Rounding::round;
  std::int64_t guard_fallback = 512;
  int guard_min_delta_buckets = 2;
  std::optional<LearnedTable> table;  // learned_table / seqlen_table
};

// The scheduler of a paper row name: static_chunk_<Q>, no_entropy_mid, random_seed_<s>, hist,
// sampled_hist_s<k>, token_hist_s<k>, cheap_proxy, variance_proxy, kurtosis_proxy, guarded_<row>,
// learned_table, seqlen_table. Throws corey::Error (usage) for an unknown row or a missing table.
std::unique_ptr<ChunkScheduler> make_scheduler(std::string_view row, const SchedulerConfig& config);

}  // namespace corey::sched
