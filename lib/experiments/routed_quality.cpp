#include "experiments/routed_quality.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "bench/longbench_tasks.hpp"
#include "bench/task_metrics.hpp"
#include "bench/utf8.hpp"
#include "core/error.hpp"
#include "entropy/cpu_stats.hpp"
#include "experiments/routed_equivalence.hpp"
#include "experiments/routed_generate.hpp"
#include "experiments/routed_hook.hpp"
#include "stats/finite_json.hpp"

namespace corey::experiments {
namespace {

// Teacher-forced perplexity of the last `scored` tokens of `ids` (the reference), the rest being context.
struct ReferencePpl {
  double ppl = 0.0;
  std::int64_t scored = 0;
};

struct Accumulator {
  std::int64_t prompts = 0;
  double passive_score = 0, routed_score = 0;
  std::int64_t greedy_exact = 0;
  double agreement = 0;
  double max_abs_logit_diff = 0;
  double ppl_ratio_sum = 0, ppl_ratio_max_dev = 0;
  std::int64_t ppl_count = 0;
  std::int64_t ref_tokens_scored = 0;
};

// The passive pass of one task: the checkpoint baseline (PAPER.md §7.1: task score = mean metric, latency
// and tokens/s = means over prompts).
struct PassiveAccumulator {
  std::int64_t prompts = 0;
  std::int64_t new_tokens = 0;
  double score = 0, latency_s = 0, tokens_per_s = 0, ttft_s = 0;
  std::int64_t prompt_tokens = 0, truncated_prompts = 0;
  double ppl_sum = 0;
  std::int64_t ppl_count = 0, ref_tokens_scored = 0;
};

class QualityRun {
 public:
  QualityRun(model::ModelRunner& runner, const model::Tokenizer& tokenizer, const QualityConfig& config)
      : runner_(runner), tokenizer_(tokenizer), config_(config) {
    if (config.files.size() != config.tasks.size()) throw_usage_error("quality: one file per task is needed");
    if (config.metrics_not_applicable && !config.rows.empty())
      throw_usage_error("quality: task metrics can be marked not applicable only in a run without rows");
    for (const std::string& row : config.rows) schedulers_.push_back(sched::make_scheduler(row, config.scheduler));
  }

  QualityOutcome run(const std::atomic<bool>* cancel) {
    QualityOutcome out;
    Json files = Json::array();
    Json prompts = Json::array();
    std::vector<std::map<std::string, Accumulator>> per_row(config_.rows.size());
    for (std::size_t t = 0; t < config_.tasks.size(); ++t) {
      const bench::LongBenchTask& task = bench::longbench_task(config_.tasks[t]);
      const bench::LongBenchFile file = bench::load_longbench_jsonl(config_.files[t], config_.on_bad_record, task.uses_question);
      Json notices = Json::array();
      for (const auto& n : file.notices) {
        notices.push_back(n.str());
        out.notices.push_back(n);
      }
      for (const auto& d : file.bad_records) out.bad_records.push_back(d);
      const auto begin = std::min<std::size_t>(static_cast<std::size_t>(config_.sample_offset), file.records.size());
      const auto end = std::min<std::size_t>(begin + static_cast<std::size_t>(config_.samples_per_task), file.records.size());
      files.push_back(Json{{"task", task.name},
                           {"file", file.path},
                           {"usable_records", file.records.size()},
                           {"bad_records", file.bad_records.size()},
                           {"records_used", end - begin},
                           {"notices", notices}});
      for (std::size_t i = begin; i < end; ++i) {
        if (cancel != nullptr && cancel->load()) break;
        prompts.push_back(run_prompt(task, file.records[i], per_row));
      }
    }
    Json passive = Json::array();
    for (const std::string& name : config_.tasks) {
      if (passive_.count(name)) passive.push_back(passive_json(passive_.at(name), bench::longbench_task(name)));
    }
    Json rows = Json::array();
    for (std::size_t r = 0; r < config_.rows.size(); ++r) {
      Json tasks = Json::array();
      Accumulator all;
      for (const std::string& name : config_.tasks) {
        if (!per_row[r].count(name)) continue;
        const Accumulator& a = per_row[r].at(name);
        tasks.push_back(summary_json(a, name, std::string(bench::to_string(bench::longbench_task(name).metric))));
        all.prompts += a.prompts;
        all.greedy_exact += a.greedy_exact;
        all.agreement += a.agreement;
        all.max_abs_logit_diff = std::max(all.max_abs_logit_diff, a.max_abs_logit_diff);
        all.ppl_ratio_sum += a.ppl_ratio_sum;
        all.ppl_count += a.ppl_count;
        all.ppl_ratio_max_dev = std::max(all.ppl_ratio_max_dev, a.ppl_ratio_max_dev);
        all.ref_tokens_scored += a.ref_tokens_scored;
      }
      rows.push_back(Json{{"row", config_.rows[r]},
                          {"tasks", tasks},
                          {"overall",
                           {{"prompts", all.prompts},
                            {"greedy_exact", all.greedy_exact},
                            {"greedy_exact_share", all.prompts ? Json(static_cast<double>(all.greedy_exact) / static_cast<double>(all.prompts)) : Json(nullptr)},
                            {"max_abs_logit_diff", all.max_abs_logit_diff},
                            {"ppl_ratio_mean", all.ppl_count ? Json(all.ppl_ratio_sum / static_cast<double>(all.ppl_count)) : Json(nullptr)},
                            {"ppl_ratio_max_dev", all.ppl_ratio_max_dev}}}});
    }
    Json bad = Json::array();
    for (const auto& d : out.bad_records) bad.push_back(d.str());
    out.metrics = Json{{"data", {{"files", files}, {"on_bad_record", std::string(bench::to_string(config_.on_bad_record))}, {"bad_records", bad}}},
                       {"truncation", std::string(bench::to_string(config_.truncation))},
                       {"max_tokens", config_.max_tokens},
                       {"warmup_generates", warmups_done_},
                       {"passive", passive},
                       {"rows", rows},
                       {"prompts", prompts}};
    out.chunk_report = check_.to_json(runner_.backend(), scan::to_string(config_.chunk_mode));
    out.not_honoured = check_.first_failure();
    out.not_equivalent = not_equivalent_;
    return out;
  }

 private:
  model::PrefillOptions options_for(sched::ChunkScheduler* scheduler, HookTrace& trace) {
    model::PrefillOptions options;
    options.chunk_mode = config_.chunk_mode;
    options.chunk = 0;
    if (scheduler) {
      options.hook_reads_activation = scheduler->statistic().has_value();
      options.hook = make_scheduler_hook(*scheduler, Condition::routed, config_.min_seq_len, stats_, trace,
                                         config_.device_stats);
    }
    return options;
  }

  void check(const std::string& what, HookTrace& trace, const std::vector<model::LayerScanRecord>& scans,
             std::int64_t length, bool scheduled) {
    if (!scheduled) trace.intended.assign(static_cast<std::size_t>(runner_.config().n_layer), length);
    check_.check(what, trace.intended, scans);
  }

  GenerateSample generate(sched::ChunkScheduler* scheduler, const std::vector<std::int32_t>& ids, std::int64_t n,
                          const std::string& what) {
    HookTrace trace;
    // Logits are kept only for the comparison with routed rows (a vocabulary per new token).
    GenerateSample s = timed_generate(runner_, ids, n, options_for(scheduler, trace), !config_.rows.empty());
    check(what, trace, s.scans, static_cast<std::int64_t>(ids.size()), scheduler != nullptr);
    return s;
  }

  ReferencePpl reference_ppl(sched::ChunkScheduler* scheduler, const std::vector<std::int32_t>& ids, std::int64_t scored,
                             const std::string& what) {
    HookTrace trace;
    model::PrefillOptions options = options_for(scheduler, trace);
    options.all_logits = true;
    const model::PrefillResult prefill = runner_.prefill(ids, options);
    check(what, trace, prefill.scans, static_cast<std::int64_t>(ids.size()), scheduler != nullptr);
    const auto V = static_cast<std::size_t>(runner_.config().vocab_size);
    double total = 0.0;
    const std::size_t first = ids.size() - static_cast<std::size_t>(scored);
    for (std::size_t t = first; t < ids.size(); ++t) {
      const float* row = prefill.logits.data() + (t - 1) * V;  // position t-1 predicts token t
      double max = row[0];
      for (std::size_t v = 1; v < V; ++v) max = std::max(max, static_cast<double>(row[v]));
      double sum = 0.0;
      for (std::size_t v = 0; v < V; ++v) sum += std::exp(static_cast<double>(row[v]) - max);
      total += max + std::log(sum) - static_cast<double>(row[static_cast<std::size_t>(ids[t])]);
    }
    return {std::exp(total / static_cast<double>(scored)), scored};
  }

  Json run_prompt(const bench::LongBenchTask& task, const bench::LongBenchRecord& record,
                  std::vector<std::map<std::string, Accumulator>>& per_row) {
    const std::string text = bench::format_longbench_prompt(task, record);
    const std::vector<std::int32_t> encoded = tokenizer_.encode(text);
    const bench::TruncatedIds prompt = bench::truncate_ids(encoded, config_.max_tokens, config_.truncation);
    const std::int64_t n = config_.new_tokens.value_or(task.max_new_tokens);
    const std::string where = record.file + ":" + std::to_string(record.line);
    const std::string& reference = record.answers.front();
    for (; warmups_done_ < config_.warmup_generates; ++warmups_done_) {
      HookTrace trace;
      timed_generate(runner_, prompt.ids, n, options_for(nullptr, trace), false);
    }

    const GenerateSample passive = generate(nullptr, prompt.ids, n, "quality " + where + " passive");
    const std::string passive_text = tokenizer_.decode(passive.new_ids);
    const double passive_score = bench::task_score(task.metric, passive_text, reference);
    const Json passive_score_cell = config_.metrics_not_applicable ? Json(nullptr) : Json(passive_score);
    const double tokens_per_s = static_cast<double>(passive.new_ids.size()) / passive.total_s;

    // Reference tokens after the prompt (F18): at most half the budget, the prompt middle-truncated to the rest.
    std::vector<std::int32_t> ppl_ids;
    std::int64_t ref_tokens = 0;
    if (config_.include_ppl) {
      std::vector<std::int32_t> ref_ids = tokenizer_.encode("\n" + reference);
      const auto cap = static_cast<std::size_t>(std::max<std::int64_t>(1, config_.max_tokens / 2));
      if (ref_ids.size() > cap) ref_ids.resize(cap);
      const std::int64_t budget = std::max<std::int64_t>(1, config_.max_tokens - static_cast<std::int64_t>(ref_ids.size()));
      ppl_ids = bench::truncate_ids(encoded, budget, bench::Truncation::middle).ids;
      ppl_ids.insert(ppl_ids.end(), ref_ids.begin(), ref_ids.end());
      ref_tokens = static_cast<std::int64_t>(ref_ids.size());
    }
    std::optional<ReferencePpl> passive_ppl;
    if (ref_tokens > 0) passive_ppl = reference_ppl(nullptr, ppl_ids, ref_tokens, "quality " + where + " passive ppl");

    PassiveAccumulator& b = passive_[task.name];
    ++b.prompts;
    b.new_tokens = n;
    b.score += passive_score;
    b.latency_s += passive.total_s;
    b.tokens_per_s += tokens_per_s;
    b.ttft_s += passive.prefill_s;
    b.prompt_tokens += static_cast<std::int64_t>(prompt.ids.size());
    b.truncated_prompts += prompt.dropped_tokens > 0 ? 1 : 0;
    if (passive_ppl && std::isfinite(passive_ppl->ppl)) {
      b.ppl_sum += passive_ppl->ppl;
      ++b.ppl_count;
      b.ref_tokens_scored += passive_ppl->scored;
    }

    Json rows = Json::object();
    for (std::size_t r = 0; r < schedulers_.size(); ++r) {
      sched::ChunkScheduler& s = *schedulers_[r];
      s.reset();
      const GenerateSample routed = generate(&s, prompt.ids, n, "quality " + where + " " + config_.rows[r]);
      const Equivalence e = compare_outputs(passive, routed);
      if (!e.bitwise_equal && check_.bitwise_chunk_invariant() && !not_equivalent_)
        not_equivalent_ = where + " row " + config_.rows[r] + ": the scan is bitwise chunk-invariant but the routed output differs from passive";
      const std::string routed_text = tokenizer_.decode(routed.new_ids);
      const double routed_score = bench::task_score(task.metric, routed_text, reference);
      Json row{{"score", routed_score}, {"delta", routed_score - passive_score}, {"equivalence", e.to_json()}};
      Accumulator& a = per_row[r][task.name];
      ++a.prompts;
      a.passive_score += passive_score;
      a.routed_score += routed_score;
      a.greedy_exact += e.greedy_exact ? 1 : 0;
      a.agreement += e.agreement;
      a.max_abs_logit_diff = std::max(a.max_abs_logit_diff, e.max_abs_logit_diff);
      if (passive_ppl) {
        s.reset();
        const ReferencePpl routed_ppl = reference_ppl(&s, ppl_ids, ref_tokens, "quality " + where + " " + config_.rows[r] + " ppl");
        const double ratio = routed_ppl.ppl / passive_ppl->ppl;
        row["ppl"] = stats::finite_or_null(routed_ppl.ppl);
        row["ppl_ratio"] = stats::finite_or_null(ratio);
        if (std::isfinite(ratio)) {
          a.ppl_ratio_sum += ratio;
          ++a.ppl_count;
          a.ppl_ratio_max_dev = std::max(a.ppl_ratio_max_dev, std::fabs(ratio - 1.0));
        }
        a.ref_tokens_scored += routed_ppl.scored;
      }
      rows[config_.rows[r]] = row;
    }
    return Json{{"task", task.name},
                {"id", record.id},
                {"source", where},
                {"prompt_tokens", prompt.ids.size()},
                {"original_tokens", prompt.original_tokens},
                {"dropped_tokens", prompt.dropped_tokens},
                {"new_tokens", n},
                {"passive",
                 {{"text", bench::sanitize_utf8(passive_text)},
                  {"generated_tokens", passive.new_ids.size()},
                  {"score", passive_score_cell},
                  {"latency_ms", passive.total_s * 1e3},
                  {"ttft_ms", passive.prefill_s * 1e3},
                  {"tokens_per_s", stats::finite_or_null(tokens_per_s)},
                  {"ppl", passive_ppl ? stats::finite_or_null(passive_ppl->ppl) : Json(nullptr)}}},
                {"ref_tokens_scored", ref_tokens},
                {"rows", rows}};
  }

  Json passive_json(const PassiveAccumulator& b, const bench::LongBenchTask& task) const {
    const double n = static_cast<double>(b.prompts);
    return Json{{"task", task.name},
                {"metric", std::string(bench::to_string(task.metric))},
                {"prompts", b.prompts},
                {"new_tokens", b.new_tokens},
                {"score", config_.metrics_not_applicable ? Json(nullptr) : Json(b.score / n)},
                {"score_note", config_.metrics_not_applicable ? Json("not applicable: " + *config_.metrics_not_applicable) : Json(nullptr)},
                {"latency_ms", b.latency_s / n * 1e3},
                {"tokens_per_s", stats::finite_or_null(b.tokens_per_s / n)},
                {"ttft_ms", b.ttft_s / n * 1e3},
                {"prompt_tokens_mean", static_cast<double>(b.prompt_tokens) / n},
                {"truncated_prompts", b.truncated_prompts},
                {"ppl_mean", b.ppl_count ? Json(b.ppl_sum / static_cast<double>(b.ppl_count)) : Json(nullptr)},
                {"ref_tokens_scored", b.ref_tokens_scored}};
  }

  static Json summary_json(const Accumulator& a, const std::string& task, const std::string& metric) {
    const double n = static_cast<double>(a.prompts);
    return Json{{"task", task},
                {"metric", metric},
                {"prompts", a.prompts},
                {"passive_score", a.passive_score / n},
                {"routed_score", a.routed_score / n},
                {"delta", (a.routed_score - a.passive_score) / n},
                {"greedy_exact", a.greedy_exact},
                {"agreement", a.agreement / n},
                {"max_abs_logit_diff", a.max_abs_logit_diff},
                {"ppl_ratio_mean", a.ppl_count ? Json(a.ppl_ratio_sum / static_cast<double>(a.ppl_count)) : Json(nullptr)},
                {"ppl_ratio_max_dev", a.ppl_count ? Json(a.ppl_ratio_max_dev) : Json(nullptr)},
                {"ref_tokens_scored", a.ref_tokens_scored}};
  }

  model::ModelRunner& runner_;
  const model::Tokenizer& tokenizer_;
  const QualityConfig& config_;
  std::vector<std::unique_ptr<sched::ChunkScheduler>> schedulers_;
  entropy::CpuStats stats_;
  ChunkCheck check_;
  std::optional<std::string> not_equivalent_;
  std::map<std::string, PassiveAccumulator> passive_;
  std::size_t warmups_done_ = 0;
};

}  // namespace

QualityOutcome run_quality(model::ModelRunner& runner, const model::Tokenizer& tokenizer, const QualityConfig& config,
                           const std::atomic<bool>* cancel) {
  QualityRun run(runner, tokenizer, config);
  return run.run(cancel);
}

}  // namespace corey::experiments
