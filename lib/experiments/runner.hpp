#pragma once
#include <string>

#include "core/error.hpp"
#include "experiments/run_options.hpp"
#include "experiments/tier.hpp"

namespace corey::experiments {

struct RunOutcome {
  ExitCode exit_code = ExitCode::ok;
  int signal = 0;                  // SIGINT/SIGTERM that interrupted the run, 0 if none
  std::string results_path;
  std::string out_dir;
};

// The only place that knows about ordering, sharding, resume, progress and streaming (ARCHITECTURE.md §1):
// runs this shard's points through the tier, appends each finished record to the JSONL stream (fsync'ed),
// and writes the assembled results file atomically at the end — with status `partial` when interrupted.
RunOutcome run_experiment(const spec::Spec& spec, const spec::Plan& plan, Tier& tier, const RunOptions& options);

}  // namespace corey::experiments
