#include "experiments/shard.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <string>

#include "core/error.hpp"

namespace corey::experiments {

namespace {

long parse_long(const char* text, const std::string& name) {
  if (text == nullptr) throw_usage_error(name + " is not set");
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0') throw_usage_error(name + "='" + text + "' is not an integer");
  return value;
}

void check_identity(const ShardIdentity& id) {
  if (id.count < 1) throw_usage_error("shard count must be at least 1 (from " + id.source + ")");
  if (id.index < 0 || id.index >= id.count)
    throw_usage_error("shard index " + std::to_string(id.index) + " is outside 0.." + std::to_string(id.count - 1) +
                      " (from " + id.source + ")");
}

}  // namespace

ShardIdentity resolve_shard(int flag_index, int flag_count, const EnvLookup& env) {
  ShardIdentity id;
  if (flag_index >= 0 || flag_count >= 0) {
    if (flag_index < 0 || flag_count < 0) throw_usage_error("--shard-index and --shard-count must be given together");
    id.index = flag_index;
    id.count = flag_count;
    id.source = "--shard-index";
  } else if (env("COREY_SHARD_INDEX") || env("COREY_SHARD_COUNT")) {
    id.index = static_cast<int>(parse_long(env("COREY_SHARD_INDEX"), "COREY_SHARD_INDEX"));
    id.count = static_cast<int>(parse_long(env("COREY_SHARD_COUNT"), "COREY_SHARD_COUNT"));
    id.source = "COREY_SHARD_INDEX";
  } else if (env("SLURM_ARRAY_TASK_ID")) {
    const long task = parse_long(env("SLURM_ARRAY_TASK_ID"), "SLURM_ARRAY_TASK_ID");
    const long count = parse_long(env("SLURM_ARRAY_TASK_COUNT"), "SLURM_ARRAY_TASK_COUNT");
    const long min = parse_long(env("SLURM_ARRAY_TASK_MIN"), "SLURM_ARRAY_TASK_MIN");
    const long max = parse_long(env("SLURM_ARRAY_TASK_MAX"), "SLURM_ARRAY_TASK_MAX");
    const long step = env("SLURM_ARRAY_TASK_STEP") ? parse_long(env("SLURM_ARRAY_TASK_STEP"), "SLURM_ARRAY_TASK_STEP") : 1;
    if (step < 1) throw_usage_error("SLURM_ARRAY_TASK_STEP must be positive");
    // A sparse array (e.g. --array=1,4,9) has no arithmetic index; its task count disagrees with min/max/step.
    if ((max - min) % step != 0 || (max - min) / step + 1 != count || (task - min) % step != 0)
      throw_usage_error("Slurm array is not an arithmetic sequence (ids " + std::to_string(min) + ".." +
                        std::to_string(max) + " step " + std::to_string(step) + ", count " + std::to_string(count) +
                        "); give --shard-index/--shard-count explicitly");
    id.index = static_cast<int>((task - min) / step);
    id.count = static_cast<int>(count);
    id.source = "SLURM_ARRAY_TASK_ID";
    id.slurm = Json{{"SLURM_ARRAY_TASK_ID", task}, {"SLURM_ARRAY_TASK_MIN", min}, {"SLURM_ARRAY_TASK_MAX", max},
                    {"SLURM_ARRAY_TASK_STEP", step}, {"SLURM_ARRAY_TASK_COUNT", count}};
    if (const char* job = env("SLURM_ARRAY_JOB_ID")) id.slurm["SLURM_ARRAY_JOB_ID"] = job;
  } else if (env("GTEST_SHARD_INDEX") || env("GTEST_TOTAL_SHARDS")) {
    id.index = static_cast<int>(parse_long(env("GTEST_SHARD_INDEX"), "GTEST_SHARD_INDEX"));
    id.count = static_cast<int>(parse_long(env("GTEST_TOTAL_SHARDS"), "GTEST_TOTAL_SHARDS"));
    id.source = "GTEST_SHARD_INDEX";
  }
  check_identity(id);
  return id;
}

ShardStrategy shard_strategy_from_string(const std::string& text) {
  if (text == "round_robin") return ShardStrategy::round_robin;
  if (text == "contiguous") return ShardStrategy::contiguous;
  if (text == "cost") return ShardStrategy::cost;
  throw_usage_error("unknown shard strategy '" + text + "' (round_robin, contiguous or cost)");
}

std::string to_string(ShardStrategy strategy) {
  switch (strategy) {
    case ShardStrategy::round_robin: return "round_robin";
    case ShardStrategy::contiguous: return "contiguous";
    case ShardStrategy::cost: return "cost";
  }
  return "round_robin";
}

std::vector<std::size_t> assign_shard(std::size_t planned_points, int index, int count, ShardStrategy strategy,
                                      const std::vector<double>& predicted_cost_s) {
  std::vector<std::size_t> mine;
  const auto n = planned_points;
  const auto k = static_cast<std::size_t>(count);
  const auto i = static_cast<std::size_t>(index);
  switch (strategy) {
    case ShardStrategy::round_robin:
      for (std::size_t p = i; p < n; p += k) mine.push_back(p);
      break;
    case ShardStrategy::contiguous: {
      // Near-equal blocks: the first n mod k shards get one extra point.
      const std::size_t base = n / k, extra = n % k;
      const std::size_t begin = i * base + std::min(i, extra);
      const std::size_t size = base + (i < extra ? 1 : 0);
      for (std::size_t p = begin; p < begin + size; ++p) mine.push_back(p);
      break;
    }
    case ShardStrategy::cost: {
      if (predicted_cost_s.size() != n) throw_usage_error("cost sharding needs a predicted cost for every point");
      std::vector<std::size_t> order(n);
      std::iota(order.begin(), order.end(), 0);
      // Longest first; ties by plan position so every shard computes the same assignment.
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return predicted_cost_s[a] > predicted_cost_s[b]; });
      std::vector<double> load(k, 0.0);
      for (std::size_t p : order) {
        const auto target = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
        load[target] += predicted_cost_s[p];
        if (target == i) mine.push_back(p);
      }
      std::sort(mine.begin(), mine.end());
      break;
    }
  }
  return mine;
}

std::string shard_file_stem(int index, int count) {
  if (count == 1) return "results";
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "shard-%04d-of-%04d", index, count);
  return buffer;
}

}  // namespace corey::experiments
