#include "experiments/mixed_regime_tier.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <tuple>

#include "bench/prompts.hpp"
#include "bench/regime_pool.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"
#include "experiments/as_param_error.hpp"
#include "experiments/mixed_regime_analysis.hpp"
#include "experiments/mixed_regime_scan.hpp"
#include "experiments/mixed_regime_sweep.hpp"
#include "experiments/interleaved_rounds.hpp"
#include "experiments/model_cache.hpp"
#include "experiments/param_access.hpp"
#include "experiments/record_cells.hpp"
#include "experiments/routed_params.hpp"
#include "stats/point_seed.hpp"

namespace corey::experiments {
namespace {

using results::Record;
using results::Status;
using spec::ParamType;

spec::ParamSchema make_schema() {
  spec::ParamSchema schema = {
      {"study", ParamType::string, "static-sweep", {"pool", "feature-scan", "static-sweep"}, "what the point measures"},
      {"pool", ParamType::map, Json{{"samples_per_regime", 20}, {"seed", 1234}}, {},
       "{samples_per_regime, seed} of the generated pool, or {file: PATH} of a JSONL pool"},
      {"regimes", ParamType::list, Json(bench::regime_names()), {}, "regimes measured, in this order"},
      {"samples", ParamType::map, Json{{"first", 8}}, {}, "fit prompts: the first N records of each regime (i < N)"},
      {"holdout", ParamType::map, Json{{"from", 8}, {"to", 19}}, {}, "held-out prompts: from <= i <= to ({} = none)"},
      {"chunks", ParamType::list, Json::array({128, 256, 512}), {}, "static-sweep: static chunks"},
      {"policies", ParamType::list, Json::array({"sampled_hist_s8", "guarded_sampled_hist_s8"}), {},
       "static-sweep: scheduler rows measured beside the static chunks"},
      {"weights", ParamType::map, Json::object(), {}, "traffic weight per regime ({} = equal weights only)"},
      {"modes", ParamType::list, Json::array({"sampled_hist_s8", "variance_proxy", "kurtosis_proxy", "token_hist_s8"}), {},
       "feature-scan: scheduler rows"},
      {"min_diverse", ParamType::integer, 3, {}, "feature-scan: diverse (mode, regime) rows needed for GO"},
      model_param_entry(),
      {"new_tokens", ParamType::integer, 4, {}, "greedy tokens per generate"},
      {"max_prompt_tokens", ParamType::integer, 2048, {}, "prompts are truncated to this many tokens"},
      {"truncation", ParamType::string, "right", {"right", "middle"}, "how a long prompt is cut"},
  };
  append(schema, scheduler_param_entries({128, 512}, "policies"));
  schema.push_back(kernel_param_entry());
  append(schema, runner_param_entries());
  return schema;
}

struct Params {
  std::string study;
  std::string pool_file;  // empty: generate
  std::int64_t samples_per_regime = 20;
  std::int64_t seed = 1234;
  std::vector<std::string> regimes;
  std::int64_t fit_first = 8;
  std::optional<std::pair<std::int64_t, std::int64_t>> holdout;
  std::vector<std::int64_t> chunks;
  std::vector<std::string> policies;
  RegimeWeights weights;
  std::vector<std::string> modes;
  std::int64_t min_diverse = 3;
  ModelSpec model;
  std::int64_t max_prompt_tokens = 2048;
  bench::Truncation truncation = bench::Truncation::right;
  SweepConfig sweep;
  std::string impl;
  unsigned threads = 0;
};

void only_keys(const Json& map, const std::string& name, std::initializer_list<const char*> keys, const spec::Spec* spec) {
  if (!map.is_object()) bad_param(name, "must be a map", spec);
  for (const auto& [key, value] : map.items()) {
    if (std::none_of(keys.begin(), keys.end(), [&](const char* k) { return key == k; })) {
      std::string expected;
      for (const char* k : keys) expected += (expected.empty() ? "" : ", ") + std::string(k);
      bad_param(name, "unknown key '" + key + "' (expected " + expected + ")", spec);
    }
    if (key != "file" && !value.is_number_integer()) bad_param(name, key + " must be an integer", spec);
  }
}

Params parse_params(const Json& params, const spec::Spec* spec) {
  Params p;
  p.study = param_value<std::string>(params, "study", spec);
  const Json pool = params.at("pool");
  only_keys(pool, "pool", {"samples_per_regime", "seed", "file"}, spec);
  if (pool.contains("file")) {
    if (pool.size() != 1) bad_param("pool", "give file alone, or samples_per_regime and seed", spec);
    if (!pool["file"].is_string()) bad_param("pool", "file must be a path", spec);
    p.pool_file = resolve_spec_path(pool["file"].get<std::string>(), spec);
  }
  p.samples_per_regime = pool.value("samples_per_regime", std::int64_t{20});
  p.seed = pool.value("seed", std::int64_t{1234});
  if (p.samples_per_regime < 1) bad_param("pool", "samples_per_regime must be >= 1", spec);
  p.regimes = param_value<std::vector<std::string>>(params, "regimes", spec);
  if (p.regimes.empty()) bad_param("regimes", "needs at least one regime", spec);
  for (std::size_t i = 0; i < p.regimes.size(); ++i) {
    if (std::count(p.regimes.begin(), p.regimes.end(), p.regimes[i]) > 1)
      bad_param("regimes", "regime '" + p.regimes[i] + "' is listed twice", spec);
  }
  const Json samples = params.at("samples");
  only_keys(samples, "samples", {"first"}, spec);
  p.fit_first = samples.value("first", std::int64_t{8});
  if (p.fit_first < 1) bad_param("samples", "first must be >= 1", spec);
  const Json holdout = params.at("holdout");
  only_keys(holdout, "holdout", {"from", "to"}, spec);
  if (!holdout.empty()) {
    if (!holdout.contains("from") || !holdout.contains("to")) bad_param("holdout", "give both from and to, or {} for none", spec);
    p.holdout = {holdout["from"].get<std::int64_t>(), holdout["to"].get<std::int64_t>()};
    if (p.holdout->first < p.fit_first || p.holdout->second < p.holdout->first)
      bad_param("holdout", "needs samples.first <= from <= to (held-out prompts must not be fit prompts)", spec);
  }
  p.chunks = param_value<std::vector<std::int64_t>>(params, "chunks", spec);
  for (const std::int64_t c : p.chunks) {
    if (c < 1) bad_param("chunks", "chunks must be >= 1", spec);
    if (std::count(p.chunks.begin(), p.chunks.end(), c) > 1) bad_param("chunks", "chunk " + std::to_string(c) + " is listed twice", spec);
  }
  p.policies = param_value<std::vector<std::string>>(params, "policies", spec);
  if (p.study == "static-sweep" && p.chunks.empty()) bad_param("chunks", "static-sweep needs at least one chunk", spec);
  const Json weights = params.at("weights");
  if (!weights.is_object()) bad_param("weights", "must be a map regime -> weight", spec);
  double weight_sum = 0;
  for (const auto& [regime, w] : weights.items()) {
    if (std::find(p.regimes.begin(), p.regimes.end(), regime) == p.regimes.end())
      bad_param("weights", "regime '" + regime + "' is not in regimes", spec);
    if (!w.is_number() || w.get<double>() < 0) bad_param("weights", regime + " must be a number >= 0", spec);
    p.weights[regime] = w.get<double>();
    weight_sum += w.get<double>();
  }
  if (!weights.empty() && !(weight_sum > 0)) bad_param("weights", "the weights sum to 0", spec);
  p.modes = param_value<std::vector<std::string>>(params, "modes", spec);
  if (p.study == "feature-scan" && p.modes.empty()) bad_param("modes", "feature-scan needs at least one mode", spec);
  p.min_diverse = param_value<std::int64_t>(params, "min_diverse", spec);
  if (p.min_diverse < 1) bad_param("min_diverse", "must be >= 1", spec);

  p.model = parse_model_param(params, spec);
  SweepConfig& s = p.sweep;
  s.chunks = p.chunks;
  s.policies = p.policies;
  s.new_tokens = param_value<std::int64_t>(params, "new_tokens", spec);
  if (s.new_tokens < 1) bad_param("new_tokens", "must be >= 1", spec);
  p.max_prompt_tokens = param_value<std::int64_t>(params, "max_prompt_tokens", spec);
  if (p.max_prompt_tokens < 1) bad_param("max_prompt_tokens", "must be >= 1", spec);
  p.truncation = as_param_error("truncation", spec, [&] { return bench::truncation_from_string(param_value<std::string>(params, "truncation", spec)); });
  s.scheduler = parse_scheduler_params(params, spec);
  for (const std::string& row : p.policies) as_param_error("policies", spec, [&] { return sched::make_scheduler(row, s.scheduler) != nullptr; });
  for (const std::string& row : p.modes) as_param_error("modes", spec, [&] { return sched::make_scheduler(row, s.scheduler) != nullptr; });
  const KernelParams kernel = parse_kernel_param(params, spec);
  p.impl = kernel.impl;
  s.chunk_mode = kernel.chunk_mode;
  s.min_seq_len = parse_min_seq_len(params, spec);
  p.threads = parse_threads(params, spec);
  return p;
}

std::int64_t whitespace_words(const std::string& text) {
  std::int64_t n = 0;
  bool in_word = false;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

std::vector<bench::RegimePrompt> load_pool(const Params& p) {
  return p.pool_file.empty() ? bench::generate_regime_pool(p.samples_per_regime, p.seed) : bench::load_regime_pool(p.pool_file);
}

// The feature scan's record: the (mode, regime) diversity rows, the GO/STOP decision and every layer's decision.
void fill_feature_scan(Record& record, const FeatureScanOutcome& scan, const std::vector<RegimeCell>& cells, const Params& p) {
  record.fields["chunk_report"] = scan.chunk_report;
  std::vector<std::string> regimes;
  std::vector<std::int64_t> tokens;
  for (const RegimeCell& c : cells) {
    regimes.push_back(c.regime);
    tokens.push_back(static_cast<std::int64_t>(c.ids.size()));
  }
  const std::vector<DiversityRow> rows = summarize_diversity(scan.decisions, regimes, tokens, p.modes);
  Json summary = Json::array();
  std::size_t diverse = 0;
  for (const DiversityRow& r : rows) {
    Json counts = Json::object();
    for (const auto& [q, n] : r.chunk_counts) counts[std::to_string(q)] = n;
    summary.push_back(Json{{"mode", r.mode}, {"regime", r.regime}, {"prompts", r.prompts},
                           {"prompt_tokens_mean", r.prompt_tokens_mean},
                           {"entropy_mean", r.entropy_mean ? Json(*r.entropy_mean) : Json(nullptr)},
                           {"entropy_std", r.entropy_std}, {"chunk_counts", counts},
                           {"dominant_chunk", r.dominant_chunk ? Json(*r.dominant_chunk) : Json(nullptr)},
                           {"dominant_share", r.dominant_share}, {"diverse", r.diverse}});
    diverse += r.diverse;
  }
  const bool go = feature_scan_go(rows, static_cast<std::size_t>(p.min_diverse));
  Json decisions = Json::array();
  for (const ScanDecisions& d : scan.decisions) {
    Json entropies = Json::array();
    for (const auto& h : d.entropies) entropies.push_back(h ? Json(*h) : Json(nullptr));
    decisions.push_back(Json{{"mode", d.mode}, {"id", cells[d.prompt].id}, {"chunks", d.chunks}, {"entropies", entropies}});
  }
  record.fields["measure"] = Json{{"mode", "decisions"}, {"generates", scan.decisions.size()}, {"new_tokens", p.sweep.new_tokens},
                                  {"condition", "active_only"}, {"wall_s", scan.wall_s}};
  record.fields["metrics"] = Json{{"rows", summary},
                                  {"diverse_rows", diverse},
                                  {"min_diverse", p.min_diverse},
                                  {"decision", go ? "GO" : "STOP"},
                                  {"rule", "diverse = more than one chunk and dominant share < 0.95; GO = at least " +
                                               std::to_string(p.min_diverse) + " diverse (mode, regime) rows"}};
  record.fields["decisions"] = decisions;
  if (scan.not_honoured) {
    record.status = Status::chunk_not_honoured;
    record.reason = *scan.not_honoured;
  } else if (scan.cancelled) {
    record.status = Status::failed;
    record.reason = "cancelled";
  }
}

class MixedRegimeTier final : public Tier {
 public:
  MixedRegimeTier() : schema_(make_schema()) {}

  std::string_view name() const override { return "mixed-regime"; }
  const spec::ParamSchema& param_schema() const override { return schema_; }
  // A study's cells must share one process and one device (interleaved rounds, paired samples).
  bool points_independent() const override { return false; }

  void validate(const spec::Spec& spec, const spec::Plan& plan) const override {
    for (const spec::Point& point : plan.points) {
      const Params p = parse_params(point.params, &spec);
      std::vector<std::string> known = bench::regime_names();
      if (!p.pool_file.empty()) {
        if (!std::filesystem::exists(p.pool_file)) bad_param("pool", "pool file '" + p.pool_file + "' does not exist", &spec);
        // A user's pool is read now, so a bad record stops the run before any point (file:line in the message).
        known.clear();
        for (const bench::RegimePrompt& r : as_param_error("pool", &spec, [&] { return bench::load_regime_pool(p.pool_file); })) {
          if (std::find(known.begin(), known.end(), r.regime) == known.end()) known.push_back(r.regime);
        }
      }
      if (p.study != "pool") {
        for (const std::string& regime : p.regimes) {
          if (std::find(known.begin(), known.end(), regime) != known.end()) continue;
          std::string list;
          for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
          bad_param("regimes", "regime '" + regime + "' has no record in the pool (it has " + list + ")", &spec);
        }
      }
      if (p.study != "pool" && !p.model.synthetic() && !std::filesystem::is_directory(p.model.checkpoint))
        bad_param("model", "checkpoint directory '" + p.model.checkpoint + "' does not exist", &spec);
    }
  }

  Record run(const spec::Point& point, RunContext& ctx) override {
    Record record;
    record.point_id = point.id;
    record.index = point.index;
    record.params = point.params;
    const Params p = parse_params(point.params, &ctx.spec);
    const std::vector<bench::RegimePrompt> pool = load_pool(p);
    const std::string jsonl = bench::regime_pool_jsonl(pool);
    Json pool_json{{"source", p.pool_file.empty() ? "generated" : p.pool_file},
                   {"records", pool.size()},
                   {"prompt_sha256", bench::regime_pool_prompt_sha256(pool)},
                   {"jsonl_sha256", sha256_hex(jsonl)}};
    if (p.pool_file.empty()) {
      pool_json["samples_per_regime"] = p.samples_per_regime;
      pool_json["seed"] = p.seed;
    }
    const bool paper_pool = p.pool_file.empty() && p.samples_per_regime == 20 && p.seed == 1234;
    if (paper_pool) {
      pool_json["golden"] = Json{{"prompt_sha256", std::string(bench::kPaperPoolPromptSha256)},
                                 {"jsonl_sha256", std::string(bench::kPaperPoolJsonlSha256)},
                                 {"prompt_sha256_matches", pool_json["prompt_sha256"] == std::string(bench::kPaperPoolPromptSha256)},
                                 {"jsonl_sha256_matches", pool_json["jsonl_sha256"] == std::string(bench::kPaperPoolJsonlSha256)}};
    }
    // Emitted before the golden check, so a mismatching pool can be inspected.
    if (p.study == "pool") ctx.emit_artifact("pool.jsonl", jsonl);
    record.fields["pool"] = pool_json;
    if (paper_pool && !(pool_json["golden"]["prompt_sha256_matches"].get<bool>() && pool_json["golden"]["jsonl_sha256_matches"].get<bool>())) {
      record.status = Status::verify_failed;
      record.reason = "the generated pool does not match the authors' SHA-256 (PAPER.md §6.7)";
      return record;
    }
    if (p.study == "pool") {
      Json listing = Json::array();
      for (const bench::RegimePrompt& r : pool) {
        listing.push_back(Json{{"id", r.id}, {"regime", r.regime}, {"sample", r.sample}, {"chars", r.chars},
                               {"words", whitespace_words(r.prompt)}, {"bytes", r.prompt.size()}});
      }
      record.fields["prompts"] = listing;
      return record;
    }

    if (const auto why = runner_skip_reason(ctx.backend, p.impl)) {
      record.status = Status::skipped;
      record.reason = *why;
      return record;
    }

    const bool cuda = ctx.backend == Backend::cuda;
    model_.load(p.model, p.threads, ctx);
    model::ModelRunner& runner = model_.runner();
    record.fields["model"] = model_.describe();
    record.fields["backend"] =
        cuda ? Json{{"model_runner", std::string(runner.backend())}, {"device", ctx.device}, {"stats_on", "device, value copied to the host per layer"}}
             : Json{{"model_runner", "cpu"}, {"threads", thread_count(p.threads)}, {"stats_on", "host"}};

    std::vector<RegimeCell> cells;
    Json prompt_list = Json::array();
    for (const std::string& regime : p.regimes) {
      std::size_t found = 0;
      for (const bench::RegimePrompt& r : pool) {
        if (r.regime != regime) continue;
        ++found;
        const bool fit = r.sample < p.fit_first;
        const bool held = p.holdout && r.sample >= p.holdout->first && r.sample <= p.holdout->second;
        if (!fit && !held) continue;
        const bench::TruncatedIds ids =
            bench::truncate_ids(model_.tokenizer().encode(r.prompt), p.max_prompt_tokens, p.truncation);
        if (ids.ids.empty()) throw_usage_error("mixed-regime: prompt " + r.id + " has no tokens");
        cells.push_back({r.id, r.regime, r.sample, ids.ids, ids.original_tokens, fit, held});
        prompt_list.push_back(Json{{"id", r.id}, {"regime", r.regime}, {"sample", r.sample}, {"set", fit ? "fit" : "holdout"},
                                   {"tokens", ids.ids.size()}, {"original_tokens", ids.original_tokens},
                                   {"dropped_tokens", ids.dropped_tokens}});
      }
      if (found == 0) bad_param("regimes", "regime '" + regime + "' has no record in the pool", &ctx.spec);
    }
    record.fields["prompts"] = prompt_list;

    SweepConfig config = p.sweep;
    config.device_stats = model_.device_stats();
    if (p.study == "feature-scan") {
      fill_feature_scan(record, run_feature_scan(runner, cells, p.modes, config, ctx.cancel), cells, p);
      return record;
    }

    config.measure = stats::MeasureConfig::from_json(
        ctx.spec.measure, [&](const std::string& ptr) { return std::optional<SourcePos>(ctx.spec.where(ptr)); });
    const SweepOutcome outcome = run_regime_sweep(runner, cells, config, ctx.cancel);
    record.fields["measure"] = outcome.measure;
    record.fields["chunk_report"] = outcome.chunk_report;
    SweepAnalysisConfig analysis;
    analysis.chunks = p.chunks;
    analysis.traffic = p.weights;
    analysis.fit_label = "i < " + std::to_string(p.fit_first);
    analysis.holdout_label = p.holdout ? std::to_string(p.holdout->first) + " <= i <= " + std::to_string(p.holdout->second) : "none";
    analysis.level = ctx.spec.stats.value("ci_level", 0.95);
    analysis.bootstrap.level = analysis.level;
    analysis.bootstrap.resamples = ctx.spec.stats.value("bootstrap_resamples", std::size_t{10000});
    analysis.bootstrap.seed = stats::point_seed(ctx.spec.stats.value("seed", std::uint64_t{0}), point.id);
    Json metrics = analyze_sweep(cells, outcome, analysis);
    if (metrics.contains("fitted_rules")) {
      // The traffic-weighted fit when weights are given (the mix the rule is meant for), else equal weights.
      const Json& rule = metrics["fitted_rules"].back();
      ctx.emit_artifact("learned_table.json", rule["learned_table"].dump(2) + "\n");
      metrics["rule_artifact"] = Json{{"name", "learned_table.json"}, {"weighting", rule["weighting"]}};
    }
    record.fields["metrics"] = metrics;
    record.fields["samples_s"] = Json{{"arms", outcome.arms}, {"per_prompt", outcome.samples}};
    if (outcome.not_honoured) {
      record.status = Status::chunk_not_honoured;
      record.reason = *outcome.not_honoured;
    } else if (const auto shortfall = rounds_shortfall(outcome.measure)) {
      std::tie(record.status, record.reason) = *shortfall;
    }
    return record;
  }

  std::vector<results::Table> summarize(const spec::Spec& spec, const std::vector<Record>& records) const override;

 private:
  spec::ParamSchema schema_;
  ModelCache model_;  // one model load per run, kept across its points
};

// ---------------------------------------------------------------- summary tables

std::string counts_text(const Json& counts) {
  std::string out;
  for (const auto& [q, n] : counts.items()) out += (out.empty() ? "" : " ") + q + ":" + n.dump();
  return out;
}

}  // namespace

std::vector<results::Table> MixedRegimeTier::summarize(const spec::Spec&, const std::vector<Record>& records) const {
  using results::Table;
  Table pool_digest{"mixed_regime.pool_digest", "Prompt pool digests (PAPER.md §6.7 golden SHA-256)",
                    {{"source", ""}, {"records", ""}, {"prompt_sha256", ""}, {"jsonl_sha256", ""}, {"golden_match", ""}}, {}, {}};
  Table pool_regimes{"mixed_regime.pool_regimes", "Prompt pool sizes per regime (characters = code points)",
                     {{"regime", ""}, {"records", ""}, {"chars_min", ""}, {"chars_mean", ""}, {"chars_max", ""}, {"words_mean", ""}}, {}, {}};
  Table pool_listing{"mixed_regime.pool", "Prompt pool records",
                     {{"id", ""}, {"regime", ""}, {"sample", ""}, {"chars", ""}, {"words", ""}, {"bytes", "B"}}, {}, {}};
  Table scan{"mixed_regime.feature_scan", "Feature scan: chosen chunks and statistic per (mode, regime), active-only",
             {{"mode", ""}, {"regime", ""}, {"prompts", ""}, {"prompt_tokens_mean", "tokens"}, {"entropy_mean", "nats"},
              {"entropy_std", "nats"}, {"chunk_counts", ""}, {"dominant_chunk", "tokens"}, {"dominant_share", ""}, {"diverse", ""}},
             {}, {}};
  Table scan_modes{"mixed_regime.feature_scan_modes", "Feature scan: diverse regimes per mode and the GO/STOP decision",
                   {{"mode", ""}, {"diverse_regimes", ""}, {"regimes", ""}, {"decision", ""}}, {}, {}};
  Table sweep{"mixed_regime.chunk_sweep", "Per-regime static chunk sweep and policies (routed, interleaved rounds)",
              {{"regime", ""}, {"split", ""}, {"arm", ""}, {"prompts", ""}, {"tokens_mean", "tokens"}, {"mean_ms", "ms"},
               {"std_ms", "ms"}, {"median_ms", "ms"}, {"median_lo", "ms"}, {"median_hi", "ms"}, {"vs_regime_best", "x"},
               {"vs_regime_best_lo", "x"}, {"vs_regime_best_hi", "x"}, {"verdict", ""}, {"decisions", ""}},
              {}, {}};
  Table best{"mixed_regime.regime_best", "Per-regime best static chunk (chosen on the fit prompts) and the roadmap gate",
             {{"regime", ""}, {"best_chunk", "tokens"}, {"best_chunk_median", "tokens"}, {"best_mean_ms", "ms"},
              {"last_vs_first_pct", "%"}, {"global_static_chunk", "tokens"}, {"gap_vs_global_static_pct", "%"}, {"useful", ""},
              {"evaluated_on", ""}, {"vs_global_static", "x"}, {"vs_global_static_lo", "x"}, {"vs_global_static_hi", "x"}},
             {}, {}};
  Table global{"mixed_regime.policies", "Global policies: static chunks, global best static, per-regime oracle, fitted "
                                        "sequence-length rule, entropy policies",
               {{"split", ""}, {"weighting", ""}, {"policy", ""}, {"choice", ""}, {"mean_ms", "ms"}, {"median_ms", "ms"},
                {"median_lo", "ms"}, {"median_hi", "ms"}, {"vs_global_static", "x"}, {"vs_global_static_lo", "x"},
                {"vs_global_static_hi", "x"}, {"verdict", ""}, {"gain_vs_global_static_pct", "%"}},
               {}, {}};
  Table rules{"mixed_regime.fitted_rule", "Sequence-length rule fitted on the fit prompts, evaluated on the held-out ones",
              {{"weighting", ""}, {"rule", ""}, {"threshold_tokens", "tokens"}, {"short_chunk", "tokens"}, {"long_chunk", "tokens"},
               {"chosen_on", ""}, {"evaluated_on", ""}, {"vs_global_static", "x"}, {"vs_global_static_lo", "x"},
               {"vs_global_static_hi", "x"}, {"verdict", ""}, {"learned_table", ""}},
              {}, {}};

  for (const Record& r : records) {
    const Json& f = r.fields;
    const std::string study = r.params.value("study", std::string());
    if (study == "pool" && f.contains("pool")) {
      const Json& pool = f["pool"];
      const Json golden = at_path(pool, {"golden"});
      pool_digest.rows.push_back({{pool["source"], pool["records"], pool["prompt_sha256"], pool["jsonl_sha256"],
                                   golden.is_object() ? Json(golden["prompt_sha256_matches"].get<bool>() &&
                                                             golden["jsonl_sha256_matches"].get<bool>())
                                                      : Json("n/a")},
                                  {r.point_id}});
    }
    if (study == "pool" && f.contains("prompts")) {
      std::vector<std::string> order;
      std::map<std::string, std::vector<const Json*>> by_regime;
      for (const Json& x : f["prompts"]) {
        pool_listing.rows.push_back({{x["id"], x["regime"], x["sample"], x["chars"], x["words"], x["bytes"]}, {r.point_id}});
        const std::string regime = x["regime"].get<std::string>();
        if (!by_regime.count(regime)) order.push_back(regime);
        by_regime[regime].push_back(&x);
      }
      for (const std::string& regime : order) {
        const auto& xs = by_regime[regime];
        std::int64_t lo = (*xs[0])["chars"].get<std::int64_t>(), hi = lo;
        double chars = 0, words = 0;
        for (const Json* x : xs) {
          lo = std::min(lo, (*x)["chars"].get<std::int64_t>());
          hi = std::max(hi, (*x)["chars"].get<std::int64_t>());
          chars += (*x)["chars"].get<double>();
          words += (*x)["words"].get<double>();
        }
        const double n = static_cast<double>(xs.size());
        pool_regimes.rows.push_back({{regime, xs.size(), lo, chars / n, hi, words / n}, {r.point_id}});
      }
    }
    if (study == "feature-scan" && f.contains("metrics")) {
      const Json& m = f["metrics"];
      std::vector<std::string> modes;
      std::map<std::string, std::pair<int, int>> per_mode;
      for (const Json& x : m["rows"]) {
        scan.rows.push_back({{x["mode"], x["regime"], x["prompts"], x["prompt_tokens_mean"], x["entropy_mean"], x["entropy_std"],
                              counts_text(x["chunk_counts"]), x["dominant_chunk"], x["dominant_share"], x["diverse"]},
                             {r.point_id}});
        const std::string mode = x["mode"].get<std::string>();
        if (!per_mode.count(mode)) modes.push_back(mode);
        per_mode[mode].first += x["diverse"].get<bool>();
        ++per_mode[mode].second;
      }
      for (const std::string& mode : modes)
        scan_modes.rows.push_back({{mode, per_mode[mode].first, per_mode[mode].second, m["decision"]}, {r.point_id}});
    }
    if (study == "static-sweep" && f.contains("metrics") && f["metrics"].contains("per_regime")) {
      const Json& m = f["metrics"];
      for (const Json& x : m["per_regime"]) {
        const Json& v = x["vs_regime_best"];
        sweep.rows.push_back({{x["regime"], x["split"], x["arm"], x["prompts"], x["tokens_mean"], x["mean_ms"], x["std_ms"],
                               ms_of(at_path(x, {"time_s", "median"})), ms_of(at_path(x, {"time_s", "ci", "lo"})),
                               ms_of(at_path(x, {"time_s", "ci", "hi"})), v["estimate"], v["lo"], v["hi"], v["verdict"],
                               x["is_static"].get<bool>() ? std::string() : counts_text(x["decisions"])},
                              {r.point_id}});
      }
      for (const Json& x : m["regime_best"]) {
        const Json v = x.value("vs_global_static", Json::object());
        best.rows.push_back({{x["regime"], x["best_chunk"], x["best_chunk_median"], x["best_mean_ms"], x["last_vs_first_pct"],
                              x["global_static_chunk"], x["gap_vs_global_static_pct"], x["useful"],
                              x.value("evaluated_on", Json(nullptr)), v.value("estimate", Json(nullptr)),
                              v.value("lo", Json(nullptr)), v.value("hi", Json(nullptr))},
                             {r.point_id}});
      }
      for (const Json& x : m["global"]) {
        const Json& v = x["vs_global_static"];
        global.rows.push_back({{x["split"], x["weighting"], x["policy"], x["choice"].is_string() ? x["choice"] : Json(x["choice"].dump()),
                                x["mean_ms"], ms_of(at_path(x, {"time_s", "median"})), ms_of(at_path(x, {"time_s", "ci", "lo"})),
                                ms_of(at_path(x, {"time_s", "ci", "hi"})), v["estimate"], v["lo"], v["hi"], v["verdict"],
                                x["gain_vs_global_static_pct"]},
                               {r.point_id}});
      }
      for (const Json& x : m["fitted_rules"]) {
        const Json& v = x["gain_vs_static_ci"];
        rules.rows.push_back({{x["weighting"], x["rule"], x["threshold_tokens"], x["short_chunk"], x["long_chunk"], x["chosen_on"],
                               x["evaluated_on"], v["estimate"], v["lo"], v["hi"], v["verdict"], x["learned_table"].dump()},
                              {r.point_id}});
      }
    }
  }
  pool_digest.notes = {"golden_match: both digests equal the authors' (generated pool, samples_per_regime 20, seed 1234); "
                       "n/a for other pools"};
  scan.notes = {"decisions of every scheduled layer of one generate per (mode, prompt), active-only (the scans ran the "
                "whole prompt); entropy_std is the population std; diverse = more than one chunk and dominant share < 0.95"};
  sweep.notes = {"mean_ms / std_ms: the paper's statistics (mean and population std over prompts of per-prompt means); "
                 "median_ms: median over rounds of the per-round mean over the regime's prompts, order-statistic CI",
                 "vs_regime_best: paired-by-round bootstrap CI of the ratio of medians against the regime's best static "
                 "chunk chosen on the fit prompts (in-sample on the fit split)",
                 "every cell ran routed in one process on one model load, interleaved in rotated rounds; every scan call "
                 "was checked to run the chunk asked for (F8)"};
  global.notes = {"choices (global best static, per-regime oracle, sequence-length rule) are made on the fit prompts by "
                  "per-prompt medians; split fit = in-sample (the paper's view, winner's curse), holdout = honest",
                  "weighting equal = mean over regimes; traffic = the spec's weights"};
  rules.notes = {"learned_table is the rule in the JSON format routed-ablation's learned_table / seqlen_table rows read"};
  std::vector<Table> tables;
  for (Table* t : {&pool_digest, &pool_regimes, &pool_listing, &scan, &scan_modes, &sweep, &best, &global, &rules}) {
    if (!t->rows.empty()) tables.push_back(std::move(*t));
  }
  return tables;
}

std::unique_ptr<Tier> make_mixed_regime_tier() { return std::make_unique<MixedRegimeTier>(); }

}  // namespace corey::experiments
