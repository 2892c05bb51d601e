#include "experiments/routed_params.hpp"

#include <iterator>

#include "entropy/chunk_rule.hpp"
#include "experiments/as_param_error.hpp"
#include "experiments/param_access.hpp"
#include "sched/learned_table.hpp"

namespace corey::experiments {

using spec::ParamType;

spec::ParamInfo model_param_entry() {
  return {"model",
          ParamType::map,
          Json{{"checkpoint", "synthetic:mamba-370m"}, {"dtype", "fp16"}},
          {},
          "{checkpoint: synthetic:<size> | DIR, dtype, seed, tokenizer: auto|byte|FILE, shape: {d_model, n_layer, "
          "vocab_size}}"};
}

spec::ParamSchema scheduler_param_entries(const std::vector<std::int64_t>& adaptive_range_default, std::string_view rows) {
  const std::string r(rows);
  return {
      {"adaptive_range", ParamType::list, Json(adaptive_range_default), {}, "[C_min, C_max] of the adaptive " + r},
      {"bins", ParamType::integer, 256, {}, "histogram bins K (H_ref = ln K)"},
      {"stride", ParamType::integer, 8, {}, "learned_table's histogram stride (the *_s<k> " + r + " carry their own)"},
      {"rounding", ParamType::string, "round", {"round", "floor"}, "log2-domain rounding of the chunk rule"},
      {"guard", ParamType::map, Json{{"fallback", 512}, {"min_delta_buckets", 2}}, {}, "guarded_* " + r},
      {"learned_table", ParamType::string, "", {}, "JSON rule table for learned_table / seqlen_table " + r},
  };
}

spec::ParamInfo kernel_param_entry() {
  return {"kernel", ParamType::map, Json{{"impl", "seq"}, {"chunk_mode", "inkernel"}}, {}, "{impl: seq|blockscan|cpu, chunk_mode}"};
}

spec::ParamSchema runner_param_entries() {
  return {
      {"min_seq_len", ParamType::integer, 16, {}, "prefill calls shorter than this are not scheduled"},
      {"threads", ParamType::integer, 0, {}, "CPU threads of the model runner (0 = all)"},
  };
}

void append(spec::ParamSchema& schema, spec::ParamSchema entries) {
  schema.insert(schema.end(), std::make_move_iterator(entries.begin()), std::make_move_iterator(entries.end()));
}

ModelSpec parse_model_param(const Json& params, const spec::Spec* spec) {
  return as_param_error("model", spec, [&] {
    Json model = params.at("model");
    if (model.is_object() && model.contains("checkpoint") && model["checkpoint"].is_string()) {
      const std::string ck = model["checkpoint"].get<std::string>();
      if (ck.rfind("synthetic:", 0) != 0) model["checkpoint"] = resolve_spec_path(ck, spec);
      const std::string tok = model.value("tokenizer", std::string("auto"));
      if (tok != "auto" && tok != "byte") model["tokenizer"] = resolve_spec_path(tok, spec);
    }
    return ModelSpec::from_json(model);
  });
}

sched::SchedulerConfig parse_scheduler_params(const Json& params, const spec::Spec* spec) {
  sched::SchedulerConfig s;
  const auto range = param_value<std::vector<std::int64_t>>(params, "adaptive_range", spec);
  if (range.size() != 2 || range[0] < 1 || range[1] < range[0])
    bad_param("adaptive_range", "must be [C_min, C_max] with 1 <= C_min <= C_max", spec);
  s.c_min = range[0];
  s.c_max = range[1];
  s.bins = static_cast<int>(param_value<std::int64_t>(params, "bins", spec));
  if (s.bins < 2) bad_param("bins", "must be >= 2", spec);
  s.stride = param_value<std::int64_t>(params, "stride", spec);
  if (s.stride < 1) bad_param("stride", "must be >= 1", spec);
  s.rounding = as_param_error("rounding", spec, [&] { return entropy::rounding_from_string(param_value<std::string>(params, "rounding", spec)); });
  const Json guard = params.at("guard");
  if (!guard.is_object()) bad_param("guard", "must be a map {fallback, min_delta_buckets}", spec);
  for (const auto& [key, value] : guard.items()) {
    if (key != "fallback" && key != "min_delta_buckets")
      bad_param("guard", "unknown key '" + key + "' (expected fallback, min_delta_buckets)", spec);
    if (!value.is_number_integer() || value.get<std::int64_t>() < (key == "fallback" ? 1 : 0))
      bad_param("guard", key + " must be an integer >= " + (key == "fallback" ? "1" : "0"), spec);
  }
  s.guard_fallback = guard.value("fallback", std::int64_t{512});
  s.guard_min_delta_buckets = static_cast<int>(guard.value("min_delta_buckets", std::int64_t{2}));
  const std::string table = resolve_spec_path(param_value<std::string>(params, "learned_table", spec), spec);
  if (!table.empty()) s.table = as_param_error("learned_table", spec, [&] { return sched::LearnedTable::load(table, s.guard_fallback); });
  return s;
}

KernelParams parse_kernel_param(const Json& params, const spec::Spec* spec) {
  KernelParams k;
  const Json kernel = params.at("kernel");
  if (!kernel.is_object()) bad_param("kernel", "must be a map {impl, chunk_mode}", spec);
  for (const auto& [key, value] : kernel.items()) {
    if (key != "impl" && key != "chunk_mode") bad_param("kernel", "unknown key '" + key + "' (expected impl, chunk_mode)", spec);
  }
  k.impl = kernel.value("impl", std::string("seq"));
  if (k.impl != "seq" && k.impl != "blockscan" && k.impl != "cpu")
    bad_param("kernel", "impl must be seq, blockscan or cpu, got '" + k.impl + "'", spec);
  k.chunk_mode = as_param_error("kernel", spec, [&] { return scan::chunk_mode_from_string(kernel.value("chunk_mode", std::string("inkernel"))); });
  if (k.chunk_mode != scan::ChunkMode::inkernel && k.chunk_mode != scan::ChunkMode::launch)
    bad_param("kernel", "chunk_mode must be inkernel or launch (the routed chunk must keep the exact recurrence)", spec);
  return k;
}

std::int64_t parse_min_seq_len(const Json& params, const spec::Spec* spec) {
  const auto min_seq_len = param_value<std::int64_t>(params, "min_seq_len", spec);
  if (min_seq_len < 1) bad_param("min_seq_len", "must be >= 1", spec);
  return min_seq_len;
}

unsigned parse_threads(const Json& params, const spec::Spec* spec) {
  const auto threads = param_value<std::int64_t>(params, "threads", spec);
  if (threads < 0) bad_param("threads", "must be >= 0", spec);
  return static_cast<unsigned>(threads);
}

}  // namespace corey::experiments
