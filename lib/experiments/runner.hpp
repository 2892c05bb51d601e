#pragma once
#include <functional>
#include <memory>
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

// Makes the tier of one more worker (each device's worker measures with its own tier instance).
using TierFactory = std::function<std::unique_ptr<Tier>()>;

// The only place that knows about ordering, sharding, devices, resume, progress and streaming
// (ARCHITECTURE.md §1): runs this shard's points through the tier, appends each finished record to the
// JSONL stream (fsync'ed), and writes the assembled results file atomically at the end — with status
// `partial` when interrupted. A point's emitted artifacts are written (atomically, under
// <out>/artifacts/<point id>/) before its record is appended; resume keeps a record only while its listed
// artifacts are intact. With options.devices naming several CUDA devices, one worker thread per device
// takes points from one queue in execution order; `tier` serves the first device and `make_worker_tier`
// (default: make_tier(spec.experiment)) the others. Records are appended as they complete, under one lock.
RunOutcome run_experiment(const spec::Spec& spec, const spec::Plan& plan, Tier& tier, const RunOptions& options,
                          const TierFactory& make_worker_tier = {});

}  // namespace corey::experiments
