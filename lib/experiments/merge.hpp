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
// same environment unless allowed; tables are recomputed from the merged records. run.shard.merged_from keeps
// per shard {file, dir, sha256, host, shard_index, array_task_id, started_at, finished_at, wall_s, devices,
// workers, artifact_points}; the merged run block has no wall_s, devices or workers of its own and spans the
// shards' started_at..finished_at. Records keep their artifacts as listed: each file is relative to the `dir`
// of the shard whose artifact_points names the record's point id.
results::ResultsFile merge_results(const std::vector<std::string>& inputs, const MergeOptions& options);

}  // namespace corey::experiments
