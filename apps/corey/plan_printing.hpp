#pragma once
#include "experiments/shard.hpp"
#include "experiments/tier.hpp"
#include "spec/spec.hpp"

namespace corey::app {

// The plan as `corey plan` / `--dry-run` show it: point count, each point's id, index and parameters, the
// skipped points with their reasons, and which points each shard runs.
// `tier` predicts point costs for the `cost` strategy (nullptr: every point costs the same).
void print_plan(const spec::Spec& spec, const spec::Plan& plan, int shard_count,
                experiments::ShardStrategy strategy, bool as_json, const experiments::Tier* tier);

}  // namespace corey::app
