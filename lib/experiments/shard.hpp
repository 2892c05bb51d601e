#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "spec/spec.hpp"

namespace corey::experiments {

enum class ShardStrategy { round_robin, contiguous, cost };

struct ShardIdentity {
  int index = 0;
  int count = 1;
  std::string source = "default";  // "--shard-index", "COREY_SHARD_INDEX", "SLURM_ARRAY_TASK_ID", "GTEST_SHARD_INDEX"
  Json slurm = nullptr;            // the SLURM_ARRAY_* values when Slurm supplied the identity
};

using EnvLookup = std::function<const char*(const char*)>;

// Resolves the shard identity with HARNESS.md §8.1's precedence: explicit flags, COREY_SHARD_*,
// Slurm arrays ((TASK_ID − TASK_MIN) / TASK_STEP of TASK_COUNT; sparse arrays rejected), GTEST_*.
// `flag_index`/`flag_count` are negative when not given. Throws corey::Error (usage) on inconsistencies.
ShardIdentity resolve_shard(int flag_index, int flag_count, const EnvLookup& env);

ShardStrategy shard_strategy_from_string(const std::string& text);
std::string to_string(ShardStrategy strategy);

// The planned-point indices (positions in plan.points) that shard `index` of `count` runs. `cost` balances
// predicted seconds per point (longest-processing-time greedy); `predicted_cost_s` is indexed like the plan.
std::vector<std::size_t> assign_shard(std::size_t planned_points, int index, int count, ShardStrategy strategy,
                                      const std::vector<double>& predicted_cost_s = {});

// File stem of a shard's outputs: "results" for an unsharded run, else "shard-0003-of-0016".
std::string shard_file_stem(int index, int count);

}  // namespace corey::experiments
