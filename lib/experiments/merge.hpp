#pragma once
#include <string>
#include <vector>

#include "results/results_file.hpp"

namespace corey::experiments {

struct MergeOptions {
  bool allow_partial = false;    // write status `partial` with missing[] instead of failing
  bool allow_mixed_env = false;  // accept shards from different corey builds or GPU models
};

// Merges shard results files (or directories holding them) into one (HARNESS.md §8.3): same schema, same
// spec hash, same planned point set, every planned id exactly once (else corey::Error merge_coverage),
// same environment unless allowed; tables are recomputed from the merged records.
results::ResultsFile merge_results(const std::vector<std::string>& inputs, const MergeOptions& options);

}  // namespace corey::experiments
