#include "experiments/routed_ablation_tier.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <tuple>

#include "bench/longbench.hpp"
#include "bench/longbench_tasks.hpp"
#include "bench/prompts.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "experiments/as_param_error.hpp"
#include "experiments/interleaved_rounds.hpp"
#include "experiments/param_access.hpp"
#include "experiments/record_cells.hpp"
#include "experiments/routed_device_rule.hpp"
#include "experiments/routed_matrix.hpp"
#include "experiments/routed_model.hpp"
#include "experiments/routed_params.hpp"
#include "experiments/routed_quality.hpp"
#include "stats/measure_config.hpp"
#include "stats/point_seed.hpp"

namespace corey::experiments {
namespace {

using results::Record;
using results::Status;
using spec::ParamType;

const std::vector<std::string> kPaperRows = {"static_chunk_128", "static_chunk_256", "static_chunk_512",
                                             "static_chunk_1024", "static_chunk_2048", "no_entropy_mid",
                                             "random_seed_0", "hist", "sampled_hist_s8", "cheap_proxy",
                                             "variance_proxy", "kurtosis_proxy", "token_hist_s8"};

spec::ParamSchema make_schema() {
  spec::ParamSchema schema = {
      {"study", ParamType::string, "matrix", {"matrix", "conditions", "quality"}, "what one point measures"},
      model_param_entry(),
      {"prompt",
       ParamType::map,
       Json{{"text", "default"}, {"repeat", 8}, {"max_tokens", 4096}, {"truncation", "right"}},
       {},
       "{text: default | literal text, file: PATH, repeat: k, max_tokens, truncation: right|middle}"},
      {"new_tokens", ParamType::integer, 32, {}, "greedy tokens per generate (matrix/conditions)"},
      {"rows", ParamType::list, Json(kPaperRows), {}, "scheduler rows, all measured in the same point"},
  };
  append(schema, scheduler_param_entries({128, 2048}, "rows"));
  append(schema, {
      {"conditions", ParamType::list, Json::array({"passive", "active_only", "routed"}), {}, "timed conditions"},
      kernel_param_entry(),
      {"oracle", ParamType::string, "heldout", {"heldout", "min-of-means"}, "best-static choice (min-of-means = paper)"},
  });
  append(schema, runner_param_entries());
  append(schema, {
      {"tasks",
       ParamType::list,
       Json::array({"narrativeqa", "qasper", "multifieldqa_en", "gov_report"}),
       {},
       "quality: LongBench tasks"},
      {"samples_per_task", ParamType::integer, 20, {}, "quality: prompts per task"},
      {"sample_offset", ParamType::integer, 0, {}, "quality: usable records skipped at the start of each file"},
      {"dataset_dir", ParamType::string, "", {}, "quality: folder with <task>.jsonl"},
      {"task_files", ParamType::map, Json::object(), {}, "quality: task -> file, overriding <dataset_dir>/<task>.jsonl"},
      {"on_bad_record", ParamType::string, "error", {"error", "skip"}, "quality: dirty records fail the point or are skipped"},
      {"include_ppl", ParamType::boolean, true, {}, "quality: perplexity on the reference tokens"},
      {"task_new_tokens", ParamType::any, "task", {}, "quality: `task` (each task's max_new_tokens) or a number"},
      {"metrics_only", ParamType::boolean, false, {}, "quality: the passive pass only, no rows (checkpoint baselines)"},
  });
  return schema;
}

// Where the spec names `rows` (in params or on a sweep axis), if anywhere: defaults leave no position.
std::optional<SourcePos> rows_given(const spec::Spec& spec) {
  for (const auto& [pointer, pos] : spec.positions) {
    if (pointer == "/params/rows" || (pointer.starts_with("/sweep/") && pointer.ends_with("/rows"))) return pos;
  }
  return std::nullopt;
}

// Why task metrics mean nothing for this checkpoint, if they do not: random weights, in memory
// (`synthetic:<size>`) or written by `corey make-checkpoint` (its safetensors metadata says so).
std::optional<std::string> synthetic_checkpoint(const ModelSpec& model) {
  if (model.synthetic()) return "synthetic checkpoint " + model.checkpoint + " (random weights)";
  const std::filesystem::path file = std::filesystem::path(model.checkpoint) / "model.safetensors";
  if (!std::filesystem::exists(file)) return std::nullopt;
  const core::SafetensorsFile st(file.string());
  if (st.metadata().value("generator", std::string()) == "corey make-checkpoint")
    return "synthetic checkpoint written by corey make-checkpoint (random weights)";
  return std::nullopt;
}

struct RoutedParams {
  std::string study;
  ModelSpec model;
  std::string prompt_text;  // resolved text of the matrix prompt
  std::string prompt_label;
  std::int64_t prompt_repeat = 1;
  std::int64_t max_tokens = 4096;
  bench::Truncation truncation = bench::Truncation::right;
  std::int64_t new_tokens = 32;
  std::vector<std::string> rows;
  sched::SchedulerConfig scheduler;
  std::vector<Condition> conditions;
  KernelParams kernel;
  std::string oracle;
  std::int64_t min_seq_len = 16;
  unsigned threads = 0;
  bool metrics_only = false;  // quality: the passive pass only (PAPER.md §7 checkpoint baselines)
  QualityConfig quality;
};

// A relative path is looked up next to the spec file first (as `extends` is), then from the working directory.
RoutedParams parse_params(const Json& params, const spec::Spec* spec) {
  RoutedParams p;
  auto wrap = [&](const std::string& name, auto fn) { return as_param_error(name, spec, fn); };
  p.study = param_value<std::string>(params, "study", spec);
  p.model = parse_model_param(params, spec);

  const Json prompt = params.at("prompt");
  if (!prompt.is_object()) bad_param("prompt", "must be a map", spec);
  for (const auto& [key, value] : prompt.items()) {
    if (key != "text" && key != "file" && key != "repeat" && key != "max_tokens" && key != "truncation")
      bad_param("prompt", "unknown key '" + key + "' (expected text, file, repeat, max_tokens, truncation)", spec);
  }
  wrap("prompt", [&] {
    if (prompt.contains("file") && prompt.contains("text")) throw_usage_error("give text or file, not both");
    p.prompt_repeat = prompt.value("repeat", std::int64_t{1});
    p.max_tokens = prompt.value("max_tokens", std::int64_t{4096});
    p.truncation = bench::truncation_from_string(prompt.value("truncation", std::string("right")));
    if (p.max_tokens < 1) throw_usage_error("max_tokens must be >= 1");
    std::string base;
    if (prompt.contains("file")) {
      const std::string file = resolve_spec_path(prompt["file"].get<std::string>(), spec);
      base = read_file(file);
      p.prompt_label = "file:" + prompt["file"].get<std::string>();
    } else {
      const std::string text = prompt.value("text", std::string("default"));
      base = text == "default" ? bench::default_prompt() : text;
      p.prompt_label = text == "default" ? "DEFAULT_PROMPT" : "text";
    }
    p.prompt_text = bench::repeat_prompt(base, p.prompt_repeat);
    p.prompt_label += " x" + std::to_string(p.prompt_repeat);
    return 0;
  });
  p.new_tokens = param_value<std::int64_t>(params, "new_tokens", spec);
  if (p.new_tokens < 1) bad_param("new_tokens", "must be >= 1", spec);
  p.metrics_only = param_value<bool>(params, "metrics_only", spec);
  if (p.metrics_only && p.study != "quality") bad_param("metrics_only", "belongs to study quality, not " + p.study, spec);
  if (p.metrics_only && spec) {
    if (const auto pos = rows_given(*spec))
      throw_spec_error("rows: metrics_only runs the passive pass only; remove rows (or metrics_only)", *pos);
  }
  p.rows = p.metrics_only ? std::vector<std::string>{} : param_value<std::vector<std::string>>(params, "rows", spec);
  if (p.rows.empty() && p.study != "quality") bad_param("rows", "needs at least one scheduler row", spec);
  for (std::size_t i = 0; i < p.rows.size(); ++i) {
    if (std::find(p.rows.begin(), p.rows.begin() + static_cast<std::ptrdiff_t>(i), p.rows[i]) != p.rows.begin() + static_cast<std::ptrdiff_t>(i))
      bad_param("rows", "row '" + p.rows[i] + "' is listed twice", spec);
  }

  p.scheduler = parse_scheduler_params(params, spec);
  for (const std::string& row : p.rows) {
    if (!is_device_row(row)) {
      wrap("rows", [&] { return sched::make_scheduler(row, p.scheduler) != nullptr; });
    } else if (p.study == "quality") {
      bad_param("rows", "row '" + row + "': device_* rows belong to the matrix and conditions studies", spec);
    } else {
      wrap("rows", [&] { return make_device_row(row, p.scheduler).host != nullptr; });
    }
  }
  for (const std::string& c : param_value<std::vector<std::string>>(params, "conditions", spec))
    p.conditions.push_back(wrap("conditions", [&] { return condition_from_string(c); }));
  if (p.conditions.empty()) bad_param("conditions", "needs at least one condition", spec);
  p.kernel = parse_kernel_param(params, spec);
  p.oracle = param_value<std::string>(params, "oracle", spec);
  p.min_seq_len = parse_min_seq_len(params, spec);
  p.threads = parse_threads(params, spec);

  QualityConfig& q = p.quality;
  q.tasks = param_value<std::vector<std::string>>(params, "tasks", spec);
  for (const std::string& t : q.tasks) wrap("tasks", [&] { return bench::longbench_task(t).max_new_tokens; });
  q.samples_per_task = param_value<std::int64_t>(params, "samples_per_task", spec);
  if (q.samples_per_task < 1) bad_param("samples_per_task", "must be >= 1", spec);
  q.sample_offset = param_value<std::int64_t>(params, "sample_offset", spec);
  if (q.sample_offset < 0) bad_param("sample_offset", "must be >= 0", spec);
  const std::string dataset_dir = param_value<std::string>(params, "dataset_dir", spec);
  const Json task_files = params.at("task_files");
  if (!task_files.is_object()) bad_param("task_files", "must be a map task -> file", spec);
  for (const auto& [task, file] : task_files.items()) {
    if (std::find(q.tasks.begin(), q.tasks.end(), task) == q.tasks.end())
      bad_param("task_files", "task '" + task + "' is not in tasks", spec);
    if (!file.is_string()) bad_param("task_files", task + " must be a file path", spec);
  }
  for (const std::string& t : q.tasks) {
    std::string file = task_files.contains(t) ? task_files[t].get<std::string>() : t + ".jsonl";
    if (!dataset_dir.empty() && !std::filesystem::path(file).is_absolute())
      file = (std::filesystem::path(resolve_spec_path(dataset_dir, spec)) / file).string();
    q.files.push_back(resolve_spec_path(file, spec));
  }
  q.on_bad_record = wrap("on_bad_record", [&] { return bench::on_bad_record_from_string(param_value<std::string>(params, "on_bad_record", spec)); });
  q.include_ppl = param_value<bool>(params, "include_ppl", spec);
  const Json tn = params.at("task_new_tokens");
  if (tn.is_string() && tn.get<std::string>() == "task") {
    q.new_tokens.reset();
  } else if (tn.is_number_integer() && tn.get<std::int64_t>() >= 1) {
    q.new_tokens = tn.get<std::int64_t>();
  } else {
    bad_param("task_new_tokens", "must be task or an integer >= 1", spec);
  }
  q.max_tokens = p.max_tokens;
  q.truncation = p.truncation;
  q.rows = p.rows;
  q.scheduler = p.scheduler;
  q.chunk_mode = p.kernel.chunk_mode;
  q.min_seq_len = p.min_seq_len;
  return p;
}

class RoutedAblationTier final : public Tier {
 public:
  explicit RoutedAblationTier(RunnerWrapper wrapper = {}) : schema_(make_schema()), model_(std::move(wrapper)) {}

  std::string_view name() const override { return "routed-ablation"; }
  const spec::ParamSchema& param_schema() const override { return schema_; }
  // Rows and conditions are compared within one point, and the points of a run on one model load.
  bool points_independent() const override { return false; }

  void validate(const spec::Spec& spec, const spec::Plan& plan) const override {
    for (const spec::Point& point : plan.points) {
      const RoutedParams p = parse_params(point.params, &spec);
      if (!p.model.synthetic() && !std::filesystem::is_directory(p.model.checkpoint))
        bad_param("model", "checkpoint directory '" + p.model.checkpoint + "' does not exist", &spec);
      if (p.study == "quality") {
        for (std::size_t i = 0; i < p.quality.files.size(); ++i) {
          if (!std::filesystem::exists(p.quality.files[i]))
            bad_param("dataset_dir", "no file '" + p.quality.files[i] + "' for task " + p.quality.tasks[i], &spec);
        }
      }
    }
  }

  Record run(const spec::Point& point, RunContext& ctx) override {
    Record record;
    record.point_id = point.id;
    record.index = point.index;
    record.params = point.params;
    const RoutedParams p = parse_params(point.params, &ctx.spec);
    if (p.oracle == "min-of-means") {
      record.faithful_to_paper = true;
      record.inherits_flaws.push_back("F9");
    }
    if (p.study == "quality" && p.truncation == bench::Truncation::right) {
      record.faithful_to_paper = true;
      record.inherits_flaws.push_back("F13");
    }
    if (const auto why = runner_skip_reason(ctx.backend, p.kernel.impl)) {
      record.status = Status::skipped;
      record.reason = *why;
      return record;
    }

    const bool cuda = ctx.backend == Backend::cuda;
    model_.load(p.model, p.threads, ctx);
    record.fields["model"] = model_.describe();
    Json backend{{"model_runner", std::string(model_.runner().backend())},
                 {"stats_on", cuda ? "host rows: device statistic read back per layer; device_* rows: backend"
                                   : "host rows: host; device_* rows: the CPU runner's backend rule"}};
    if (cuda) {
      backend["device"] = ctx.device;
    } else {
      backend["threads"] = thread_count(p.threads);
    }
    record.fields["backend"] = backend;
    stats::BootstrapConfig bootstrap;
    bootstrap.level = ctx.spec.stats.value("ci_level", 0.95);
    bootstrap.resamples = ctx.spec.stats.value("bootstrap_resamples", std::size_t{10000});
    bootstrap.seed = stats::point_seed(ctx.spec.stats.value("seed", std::uint64_t{0}), point.id);

    if (p.study == "quality") {
      QualityConfig quality = p.quality;
      quality.device_stats = model_.device_stats();
      if (p.metrics_only) {
        quality.metrics_not_applicable = synthetic_checkpoint(p.model);
        quality.warmup_generates = stats::MeasureConfig::from_json(ctx.spec.measure, [&](const std::string& ptr) {
                                     return std::optional<SourcePos>(ctx.spec.where(ptr));
                                   }).warmup_runs;
      }
      const QualityOutcome q = run_quality(model_.runner(), model_.tokenizer(), quality, ctx.cancel);
      Json bad = Json::array();
      for (const bench::RecordDefect& d : q.bad_records)
        bad.push_back(Json{{"file", d.file}, {"line", d.line}, {"reason", d.reason}, {"record", "skipped"}});
      for (const bench::RecordDefect& d : q.notices)
        bad.push_back(Json{{"file", d.file}, {"line", d.line}, {"reason", d.reason}, {"record", "kept"}});
      record.fields["chunk_report"] = q.chunk_report;
      record.fields["metrics"] = q.metrics;
      record.fields["dirty_records"] = bad;
      finish_status(record, q.not_honoured, q.not_equivalent);
      return record;
    }

    const std::vector<std::int32_t> encoded = model_.tokenizer().encode(p.prompt_text);
    const bench::TruncatedIds prompt = bench::truncate_ids(encoded, p.max_tokens, p.truncation);
    record.fields["prompt"] = Json{{"label", p.prompt_label},
                                   {"characters", p.prompt_text.size()},
                                   {"tokens", prompt.ids.size()},
                                   {"original_tokens", prompt.original_tokens},
                                   {"dropped_tokens", prompt.dropped_tokens},
                                   {"truncation", std::string(bench::to_string(p.truncation))},
                                   {"new_tokens", p.new_tokens}};
    MatrixConfig config;
    config.rows = p.rows;
    config.conditions = p.conditions;
    config.scheduler = p.scheduler;
    config.new_tokens = p.new_tokens;
    config.min_seq_len = p.min_seq_len;
    config.chunk_mode = p.kernel.chunk_mode;
    config.measure = stats::MeasureConfig::from_json(
        ctx.spec.measure, [&](const std::string& ptr) { return std::optional<SourcePos>(ctx.spec.where(ptr)); });
    config.bootstrap = bootstrap;
    config.oracle = p.oracle;
    config.device_stats = model_.device_stats();
    const MatrixOutcome outcome = run_matrix(model_.runner(), prompt.ids, config, ctx.cancel);
    record.fields["measure"] = outcome.measure;
    record.fields["chunk_report"] = outcome.chunk_report;
    record.fields["metrics"] = outcome.metrics;
    finish_status(record, outcome.not_honoured, outcome.not_equivalent);
    if (const auto shortfall = rounds_shortfall(outcome.measure); shortfall && record.status == Status::ok)
      std::tie(record.status, record.reason) = *shortfall;
    return record;
  }

  std::vector<results::Table> summarize(const spec::Spec& spec, const std::vector<Record>& records) const override;

 private:
  static void finish_status(Record& record, const std::optional<std::string>& not_honoured,
                            const std::optional<std::string>& not_equivalent) {
    if (not_honoured) {
      record.status = Status::chunk_not_honoured;
      record.reason = *not_honoured;
    } else if (not_equivalent) {
      record.status = Status::verify_failed;
      record.reason = *not_equivalent;
    }
  }

  spec::ParamSchema schema_;
  ModelCache model_;  // one model load per run, kept across its points
};

// ---------------------------------------------------------------- summary tables

std::string verdict(const Json& ci) {
  if (!ci.is_object() || !ci["lo"].is_number() || !ci["hi"].is_number()) return "n/a";
  if (ci["lo"].get<double>() <= 1.0 && ci["hi"].get<double>() >= 1.0) return "≈";
  return ci["lo"].get<double>() > 1.0 ? "slower" : "faster";
}

std::string joined(const Json& list) {
  std::string out;
  if (!list.is_array()) return out;
  for (const Json& v : list) out += (out.empty() ? "" : " ") + (v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

// The held-out oracle row, or both folds' choices when the halves disagree.
Json oracle_label(const Json& oracle) {
  if (!oracle.contains("oracle_row")) return nullptr;
  if (oracle.value("folds_agree", true) || !oracle.contains("folds")) return oracle["oracle_row"];
  std::string label;
  for (const Json& f : oracle["folds"])
    label += (label.empty() ? "" : " / ") + f["oracle_row"].get<std::string>() + " (" + f["chosen_on"].get<std::string>() + ")";
  return label;
}

std::string point_label(const Record& r) {
  const Json label = at_path(r.fields, {"prompt", "label"});
  return label.is_string() ? label.get<std::string>() : r.point_id;
}

}  // namespace

std::vector<results::Table> RoutedAblationTier::summarize(const spec::Spec&, const std::vector<Record>& records) const {
  results::Table matrix;
  matrix.name = "routed_ablation.matrix";
  matrix.title = "Scheduler ablation matrix: passive / active-only / routed latency per row, vs passive and vs the "
                 "held-out best static row";
  matrix.columns = {{"prompt", ""},
                    {"row", ""},
                    {"passive", "ms"},
                    {"active_only", "ms"},
                    {"active_only_lo", "ms"},
                    {"active_only_hi", "ms"},
                    {"routed", "ms"},
                    {"routed_lo", "ms"},
                    {"routed_hi", "ms"},
                    {"ttft_routed", "ms"},
                    {"decode_per_token_routed", "ms"},
                    {"stats_per_generate", "ms"},
                    {"vs_passive", "x"},
                    {"vs_passive_lo", "x"},
                    {"vs_passive_hi", "x"},
                    {"active_overhead", "x"},
                    {"vs_best_static", "x"},
                    {"vs_best_static_lo", "x"},
                    {"vs_best_static_hi", "x"},
                    {"vs_best_static_verdict", ""},
                    {"oracle_row", ""},
                    {"indistinguishable", ""},
                    {"dominant_chunk", "tokens"},
                    {"distinct_chunks", ""},
                    {"dominant_share", ""},
                    {"adaptivity", ""},
                    {"static_equivalent", ""},
                    {"vs_static_equivalent", "x"},
                    {"stats_on", ""},
                    {"host_syncs_per_forward", ""}};
  results::Table conditions;
  conditions.name = "routed_ablation.conditions";
  conditions.title = "Timed conditions per row (hook micro-benchmark): passive / active-only / routed latency, "
                     "ratio to passive, host syncs per prefill and the chunk distribution";
  conditions.columns = {{"prompt", ""},         {"row", ""},          {"condition", ""},       {"latency", "ms"},
                        {"latency_lo", "ms"},   {"latency_hi", "ms"}, {"ttft", "ms"},          {"vs_passive", "x"},
                        {"vs_passive_lo", "x"}, {"vs_passive_hi", "x"}, {"host_syncs_per_prefill", ""},
                        {"chunks", ""}};
  results::Table equivalence;
  equivalence.name = "routed_ablation.equivalence";
  equivalence.title = "Output equivalence: greedy ids and logits of each row (routed) against passive";
  equivalence.columns = {{"prompt", ""},          {"row", ""},           {"greedy_exact", ""},
                         {"agreement", ""},       {"first_mismatch", ""}, {"max_abs_logit_diff", ""},
                         {"argmax_agreement", ""}, {"bitwise_equal", ""}, {"timed_output_mismatches", ""}};
  results::Table quality;
  quality.name = "routed_ablation.quality";
  quality.title = "LongBench quality: task metric passive vs routed, greedy agreement, perplexity ratio on the reference";
  quality.columns = {{"row", ""},           {"task", ""},           {"metric", ""},        {"prompts", ""},
                     {"passive_score", ""}, {"routed_score", ""},   {"delta", ""},         {"greedy_exact", ""},
                     {"agreement", ""},     {"max_abs_logit_diff", ""}, {"ppl_ratio_mean", ""}, {"ppl_ratio_max_dev", ""},
                     {"ref_tokens_scored", ""}};
  results::Table baselines;
  baselines.name = "routed_ablation.baselines";
  baselines.title = "Checkpoint baselines on LongBench (metrics_only): passive greedy generation per task";
  baselines.columns = {{"checkpoint", ""},      {"truncation", ""},     {"task", ""},
                       {"metric", ""},          {"prompts", ""},        {"new_tokens", ""},
                       {"score", ""},           {"score_note", ""},     {"latency", "ms"},
                       {"tokens_per_s", "tok/s"}, {"ttft", "ms"},       {"prompt_tokens_mean", "tokens"},
                       {"truncated_prompts", ""}, {"ppl_mean", ""},     {"ref_tokens_scored", ""}};
  results::Table dirty;
  dirty.name = "routed_ablation.dirty_records";
  dirty.title = "Dirty LongBench records (file:line and why)";
  dirty.columns = {{"file", ""}, {"line", ""}, {"record", ""}, {"reason", ""}};

  bool any_min_of_means = false, untrained = false;
  for (const Record& r : records) {
    if (r.status != Status::ok && r.status != Status::chunk_not_honoured && r.status != Status::verify_failed) continue;
    const Json source = at_path(r.fields, {"model", "source"});
    if (at_path(r.fields, {"model", "tokenizer"}) == Json("byte") ||
        (source.is_string() && source.get<std::string>().rfind("synthetic", 0) == 0))
      untrained = true;
    const Json& metrics = r.fields.contains("metrics") ? r.fields["metrics"] : Json::object();
    if (r.params.value("study", std::string()) == "quality") {
      if (r.params.value("metrics_only", false)) {
        for (const Json& t : metrics.value("passive", Json::array())) {
          baselines.rows.push_back({{at_path(r.fields, {"model", "checkpoint"}), metrics["truncation"], t["task"],
                                     t["metric"], t["prompts"], t["new_tokens"], t["score"], t["score_note"],
                                     t["latency_ms"], t["tokens_per_s"], t["ttft_ms"], t["prompt_tokens_mean"],
                                     t["truncated_prompts"], t["ppl_mean"], t["ref_tokens_scored"]},
                                    {r.point_id}});
        }
      }
      for (const Json& row : metrics.value("rows", Json::array())) {
        for (const Json& t : row.value("tasks", Json::array())) {
          quality.rows.push_back({{row["row"], t["task"], t["metric"], t["prompts"], t["passive_score"], t["routed_score"],
                                   t["delta"], t["greedy_exact"], t["agreement"], t["max_abs_logit_diff"],
                                   t["ppl_ratio_mean"], t["ppl_ratio_max_dev"], t["ref_tokens_scored"]},
                                  {r.point_id}});
        }
      }
      for (const Json& d : r.fields.value("dirty_records", Json::array()))
        dirty.rows.push_back({{d["file"], d["line"], d.value("record", Json(nullptr)), d["reason"]}, {r.point_id}});
      continue;
    }
    const std::string label = point_label(r);
    const Json passive_median = ms_of(at_path(metrics, {"passive", "time_s", "median"}));
    if (at_path(metrics, {"passive", "time_s"}).is_object()) {
      const Json& p = metrics["passive"];
      conditions.rows.push_back({{label, "passive", "passive", passive_median, ms_of(at_path(p, {"time_s", "ci", "lo"})),
                                  ms_of(at_path(p, {"time_s", "ci", "hi"})), ms_of(at_path(p, {"prefill_s", "median"})), 1.0,
                                  nullptr, nullptr, p.value("host_syncs_per_prefill", Json(nullptr)), nullptr},
                                 {r.point_id}});
    }
    const Json oracle = metrics.value("oracle", Json::object());
    if (oracle.value("mode", std::string()) == "min-of-means") any_min_of_means = true;
    for (const Json& row : metrics.value("rows", Json::array())) {
      const Json vs_best = row.value("vs_best_static", Json(nullptr));
      const Json& decisions = row["decisions"];
      matrix.rows.push_back(
          {{label,
            row["row"],
            passive_median,
            ms_of(at_path(row, {"conditions", "active_only", "time_s", "median"})),
            ms_of(at_path(row, {"conditions", "active_only", "time_s", "ci", "lo"})),
            ms_of(at_path(row, {"conditions", "active_only", "time_s", "ci", "hi"})),
            ms_of(at_path(row, {"conditions", "routed", "time_s", "median"})),
            ms_of(at_path(row, {"conditions", "routed", "time_s", "ci", "lo"})),
            ms_of(at_path(row, {"conditions", "routed", "time_s", "ci", "hi"})),
            ms_of(at_path(row, {"conditions", "routed", "prefill_s", "median"})),
            ms_of(at_path(row, {"conditions", "routed", "decode_per_token_s", "median"})),
            ms_of(at_path(row, {"conditions", "routed", "stats_time_s", "median"})),
            at_path(row, {"vs_passive", "estimate"}),
            at_path(row, {"vs_passive", "lo"}),
            at_path(row, {"vs_passive", "hi"}),
            at_path(row, {"active_overhead", "estimate"}),
            vs_best.is_object() ? vs_best["ratio_median"] : Json(nullptr),
            vs_best.is_object() ? vs_best["lo"] : Json(nullptr),
            vs_best.is_object() ? vs_best["hi"] : Json(nullptr),
            verdict(vs_best),
            oracle_label(oracle),
            joined(oracle.value("indistinguishable", Json::array())),
            decisions["dominant_chunk"],
            decisions["distinct"],
            decisions["dominant_share"],
            decisions["adaptivity"],
            decisions.value("static_equivalent", Json(nullptr)),
            at_path(decisions, {"vs_static_equivalent", "estimate"}),
            row.value("stats_on", Json(nullptr)),
            row.value("host_syncs_per_forward", Json(nullptr))},
           {r.point_id}});
      for (const char* condition : {"active_only", "routed"}) {
        const Json cell = at_path(row, {"conditions", condition});
        if (!cell.is_object() || !cell.contains("time_s")) continue;
        const Json ratio = at_path(row, {std::string(condition) == "routed" ? "vs_passive" : "active_overhead"});
        // Routed decisions when both were measured; the distribution belongs to the decisions' condition.
        const bool own = decisions.value("condition", std::string()) == condition;
        conditions.rows.push_back({{label, row["row"], condition, ms_of(at_path(cell, {"time_s", "median"})),
                                    ms_of(at_path(cell, {"time_s", "ci", "lo"})), ms_of(at_path(cell, {"time_s", "ci", "hi"})),
                                    ms_of(at_path(cell, {"prefill_s", "median"})), at_path(ratio, {"estimate"}),
                                    at_path(ratio, {"lo"}), at_path(ratio, {"hi"}),
                                    cell.value("host_syncs_per_prefill", Json(nullptr)),
                                    own ? Json(decisions["histogram"].dump()) : Json(nullptr)},
                                   {r.point_id}});
      }
      const Json& e = row["equivalence"];
      if (e.is_object()) {
        equivalence.rows.push_back({{label, row["row"], e["greedy_exact"], e["agreement"], e["first_mismatch"],
                                     e["max_abs_logit_diff"], e["argmax_agreement"], e["bitwise_equal"],
                                     at_path(row, {"conditions", "routed", "output_mismatches_vs_passive"})},
                                    {r.point_id}});
      }
    }
  }
  matrix.notes = {
      "latency = median of one full greedy generate (prefill + decode) per round; CIs: order-statistic (latency), "
      "percentile bootstrap paired by round (ratios: ratio of medians)",
      "all rows and conditions of a prompt ran in one process on one model load, interleaved in rotated rounds; "
      "warm-up rounds are excluded from timing and from the chunk histograms",
      "vs_best_static: the best static row is chosen on the even rounds and judged on the odd ones and vice versa "
      "(cross-fit); indistinguishable = static rows whose ratio CI against it contains 1; verdict ≈ when the CI "
      "contains 1",
      "adaptivity none = the row's decisions collapsed to one chunk; static_equivalent names the static row of that "
      "chunk when it was measured and vs_static_equivalent compares the row with it",
      "oracle_row shows both halves' choices when the even and odd rounds pick different static rows",
      "stats_on: host = the row's statistic is computed for the host-side scheduler; backend = device_* rows, whose "
      "statistic, rule and guard the model backend evaluates itself; none = no statistic",
      "host_syncs_per_forward: host syncs of the row's scheduling per prefill, counted: one per layer for a host "
      "statistic of device-memory activations (F7), none for device_* rows and rows without a statistic, none on "
      "the CPU backend"};
  if (any_min_of_means)
    matrix.notes.push_back("faithful_to_paper: oracle min-of-means picks the best static by the same noisy means it "
                           "is judged by (F9)");
  conditions.notes = {"latency = median of one full greedy generate per round with its order-statistic CI; ttft = "
                      "median time to first token; vs_passive = paired bootstrap ratio of medians against passive",
                      "chunks = the row's decision histogram over the measured rounds (warm-ups excluded), on the "
                      "condition whose decisions it counts (routed when measured)",
                      "device_* rows: active-only evaluates the statistic and the rule on the backend, then runs the "
                      "whole prompt as one chunk, as passive does"};
  equivalence.notes = {"with the bitwise chunk-invariant scan the routed output must equal passive bit for bit; a "
                       "difference fails the point (verify_failed)"};
  dirty.notes = {"skipped = a bad record (on_bad_record: skip); kept = a repaired defect that loses nothing (a "
                 "byte-order mark at the start of a file)"};
  quality.notes = {"metric = token F1 / ROUGE-L / exact match of PAPER.md §7.1 against the first answer; delta = "
                   "routed − passive; ppl on the reference tokens only, prompt as middle-truncated context (F18)"};
  baselines.notes = {"score = mean task metric of PAPER.md §7.1 (token F1 / ROUGE-L / exact match against the first "
                     "answer) of one greedy generation per prompt with the task's template; null with score_note when "
                     "the checkpoint is synthetic (random weights: the metric is not applicable)",
                     "latency = mean wall time of one generate (prefill + new_tokens greedy tokens, batch 1, no early "
                     "stop at EOS) per prompt, after measure.warmup.runs untimed generates of the first prompt; "
                     "tokens_per_s = mean of new_tokens / latency; ttft = mean time to the first token",
                     "truncation right = the paper's (cuts the question off the end of long prompts, F13); middle = "
                     "keeps the first and last halves of the token budget so the question survives",
                     "ppl_mean = mean per-prompt perplexity of the reference tokens with the middle-truncated prompt "
                     "as context (F18), not the paper's WikiText-103 / PG-19 corpus perplexity"};
  if (untrained)
    quality.notes.push_back("synthetic or tiny model (byte tokenizer or random weights): metric values are "
                            "meaningless; the table checks the machinery (agreement, deltas, ppl ratios)");
  std::vector<results::Table> tables;
  if (!matrix.rows.empty()) tables.push_back(matrix);
  if (!conditions.rows.empty()) tables.push_back(conditions);
  if (!equivalence.rows.empty()) tables.push_back(equivalence);
  if (!quality.rows.empty()) tables.push_back(quality);
  if (!baselines.rows.empty()) tables.push_back(baselines);
  if (!dirty.rows.empty()) tables.push_back(dirty);
  return tables;
}

std::unique_ptr<Tier> make_routed_ablation_tier() { return std::make_unique<RoutedAblationTier>(); }

std::unique_ptr<Tier> make_routed_ablation_tier(RunnerWrapper wrapper) {
  return std::make_unique<RoutedAblationTier>(std::move(wrapper));
}

}  // namespace corey::experiments
