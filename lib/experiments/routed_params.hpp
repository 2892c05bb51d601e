#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "experiments/routed_model.hpp"
#include "scan/scan_op.hpp"
#include "sched/scheduler_factory.hpp"
#include "spec/param_schema.hpp"
#include "spec/spec.hpp"

namespace corey::experiments {

// The parameters every tier that runs the Mamba model with a chunk scheduler shares (routed-ablation,
// mixed-regime): the model, the scheduler rows' configuration, the scan kernel and the runner. Each tier puts
// the schema entries where its own schema lists them and parses them with the same checks and messages.

// `model`: {checkpoint: synthetic:<size> | DIR, dtype, seed, tokenizer, shape}.
spec::ParamInfo model_param_entry();

// adaptive_range, bins, stride, rounding, guard, learned_table. `rows` names what the tier calls its scheduler
// rows in the help ("rows", "policies"); the tiers' adaptive ranges differ on purpose (the paper's [128, 2048]
// for the ablation, the pool's shorter prompts for the mixed-regime sweep).
spec::ParamSchema scheduler_param_entries(const std::vector<std::int64_t>& adaptive_range_default, std::string_view rows);

// `kernel`: {impl: seq|blockscan|cpu, chunk_mode: inkernel|launch}.
spec::ParamInfo kernel_param_entry();

// min_seq_len and threads of the model runner.
spec::ParamSchema runner_param_entries();

// Adds `entries` at the end of `schema` (a tier's schema keeps its own order of the shared entries).
void append(spec::ParamSchema& schema, spec::ParamSchema entries);

struct KernelParams {
  std::string impl = "seq";
  scan::ChunkMode chunk_mode = scan::ChunkMode::inkernel;
};

// Each throws corey::Error through bad_param (a spec error at the parameter when `spec` is given). Relative
// paths (checkpoint, tokenizer, learned_table) are looked up next to the spec file first.
ModelSpec parse_model_param(const Json& params, const spec::Spec* spec);
sched::SchedulerConfig parse_scheduler_params(const Json& params, const spec::Spec* spec);
KernelParams parse_kernel_param(const Json& params, const spec::Spec* spec);
std::int64_t parse_min_seq_len(const Json& params, const spec::Spec* spec);
unsigned parse_threads(const Json& params, const spec::Spec* spec);  // 0 = all

}  // namespace corey::experiments
