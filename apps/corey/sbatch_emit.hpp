#pragma once
#include <string>

#include "spec/spec.hpp"

namespace corey::app {

// Writes DIR/array.sbatch (one array task per shard, shard identity from SLURM_ARRAY_*), DIR/merge.sbatch
// and DIR/submit.sh (array, then merge with --dependency=afterany) for `corey plan --emit-sbatch`.
void emit_sbatch(const spec::Spec& spec, int shards, int max_parallel, const std::string& dir, bool strict);

}  // namespace corey::app
