#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "experiments/shard.hpp"
#include "experiments/tier.hpp"

namespace corey::experiments {

enum class ExecutionOrder { sequential, interleaved, random };

ExecutionOrder execution_order_from_string(const std::string& text);
std::string to_string(ExecutionOrder order);

// Everything the command line decides about a run (the spec decides the rest).
struct RunOptions {
  std::string out_dir;                   // empty: spec output.dir, else runs/${name}/${run_id}
  bool resume = false;
  std::optional<ExecutionOrder> order;   // empty: spec order.mode, else sequential
  std::optional<std::uint64_t> seed;     // order seed; empty: spec order.seed, else 0
  Backend backend = Backend::cpu;
  // CUDA devices, one worker thread each (backend cuda only). Empty: one worker, on device 0 when the
  // backend is cuda.
  std::vector<int> devices;
  ShardIdentity shard;
  ShardStrategy strategy = ShardStrategy::round_robin;
  std::vector<std::string> formats;      // derived tables to write beside the results: md, csv
  std::vector<std::string> argv;
  bool quiet = false;
  bool allow_failures = false;
};

}  // namespace corey::experiments
