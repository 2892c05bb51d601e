#pragma once
#include "experiments/shard.hpp"
#include "spec/spec.hpp"

namespace corey::app {

// The plan as `corey plan` / `--dry-run` show it: point count, each point's id, index and parameters, the
// skipped points with their reasons, and which points each shard runs.
void print_plan(const spec::Spec& spec, const spec::Plan& plan, int shard_count,
                experiments::ShardStrategy strategy, bool as_json);

}  // namespace corey::app
