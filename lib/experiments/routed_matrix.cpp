#include "experiments/routed_matrix.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include "core/error.hpp"
#include "entropy/cpu_stats.hpp"
#include "experiments/routed_device_rule.hpp"
#include "experiments/interleaved_rounds.hpp"
#include "experiments/routed_equivalence.hpp"
#include "experiments/routed_generate.hpp"
#include "experiments/routed_hook.hpp"
#include "experiments/routed_oracle.hpp"
#include "experiments/routed_order.hpp"
#include "sched/schedulers.hpp"
#include "stats/median_ci.hpp"
#include "stats/quantile.hpp"
#include "stats/summary.hpp"
#include "stats/time_stats.hpp"

namespace corey::experiments {
namespace {

// One (row, condition) of the study, with its samples in round order.
struct Cell {
  std::string row;
  Condition condition = Condition::passive;
  std::unique_ptr<sched::ChunkScheduler> scheduler;  // null for passive and device rows
  std::optional<DeviceRow> device;                   // device_<row>: the backend decides
  std::vector<double> total_s, prefill_s, decode_per_token_s, stats_s;
  std::map<std::int64_t, std::int64_t> histogram;  // measured samples' decisions (warm-ups excluded)
  std::int64_t decisions = 0;
  std::vector<double> entropies;       // the statistic of each measured decision
  std::int64_t host_syncs = 0;         // over the measured samples
  std::int64_t rule_mismatches = 0;    // device rows: backend chunks the host rule would not pick from its entropy
  std::int64_t output_mismatches = 0;  // measured samples whose ids differ from the passive reference

  // The row's scheduler: its statistic, description and kind.
  sched::ChunkScheduler* policy() const { return device ? device->host.get() : scheduler.get(); }
};

class MatrixRun {
 public:
  MatrixRun(model::ModelRunner& runner, std::span<const std::int32_t> prompt, const MatrixConfig& config)
      : runner_(runner), prompt_(prompt), config_(config) {
    if (prompt.empty()) throw_usage_error("routed-ablation: the prompt has no tokens");
    if (config.new_tokens < 1) throw_usage_error("routed-ablation: new_tokens must be >= 1");
    auto has = [&](Condition c) { return std::find(config.conditions.begin(), config.conditions.end(), c) != config.conditions.end(); };
    if (has(Condition::passive)) cells_.push_back(make_cell("passive", Condition::passive));
    for (const std::string& row : config.rows) {
      for (Condition c : {Condition::active_only, Condition::routed}) {
        if (has(c)) cells_.push_back(make_cell(row, c));
      }
    }
    if (cells_.empty()) throw_usage_error("routed-ablation: no cell to run (no rows and no passive condition)");
  }

  MatrixOutcome run(const std::atomic<bool>* cancel) {
    const auto started = std::chrono::steady_clock::now();
    equivalence_pass();
    for (Cell& c : cells_) {
      if (c.policy()) c.policy()->reset();
    }
    RoundsPlan plan;
    plan.run_round = [this](std::size_t round, bool measured) { return run_round(round, measured); };
    plan.criterion_met = [this](std::string& why) { return criterion_met(why); };
    plan.test_every = 16;  // the ci_ratio criterion bootstraps every cell
    const RoundsOutcome rounds = run_interleaved_rounds(plan, config_.measure, started, cancel);
    MatrixOutcome out;
    out.rounds = rounds.rounds;
    out.measure = interleaved_rounds_json(rounds, config_.measure, cells_.size());
    out.metrics = metrics_json();
    out.chunk_report = check_.to_json(runner_.backend(), scan::to_string(config_.chunk_mode));
    out.not_honoured = check_.first_failure();
    out.not_equivalent = not_equivalent_;
    return out;
  }

 private:
  Cell make_cell(const std::string& row, Condition condition) {
    Cell c;
    c.row = row;
    c.condition = condition;
    if (condition == Condition::passive) return c;
    if (is_device_row(row)) {
      c.device = make_device_row(row, config_.scheduler);
    } else {
      c.scheduler = sched::make_scheduler(row, config_.scheduler);
    }
    return c;
  }

  // A device row's options: the backend rule (active-only: evaluated, then overruled by the whole prompt),
  // or for device_seqlen_table one host decision from the known seq_len. Prompts shorter than min_seq_len
  // are not scheduled, as for host rows.
  model::PrefillOptions device_options(const Cell& cell, std::optional<std::int64_t>& host_chunk) const {
    model::PrefillOptions options;
    options.chunk_mode = config_.chunk_mode;
    options.chunk = 0;
    const auto seqlen = static_cast<std::int64_t>(prompt_.size());
    if (seqlen < config_.min_seq_len) return options;
    const DeviceRow& d = *cell.device;
    if (d.backend) {
      options.backend_rule = cell.condition == Condition::routed ? *d.backend : observe_only(*d.backend, seqlen);
    } else {
      sched::Features features;
      features.seq_len = seqlen;
      host_chunk = d.host->decide(features).chunk;
      if (cell.condition == Condition::routed) options.chunk = *host_chunk;
    }
    return options;
  }

  // What a device row's backend decided, as a hook trace: the chunk each layer's scan must have run (the
  // backend's own choice when routed, the whole prompt when active-only), the decisions and entropies;
  // `rule_mismatches` counts routed layers whose chunk the host rule would not pick from the same entropy.
  HookTrace device_trace(const Cell& cell, const std::optional<std::int64_t>& host_chunk,
                         const std::vector<model::LayerScanRecord>& scans, const std::string& what,
                         std::int64_t& rule_mismatches) {
    HookTrace trace;
    const auto seqlen = static_cast<std::int64_t>(prompt_.size());
    const bool routed = cell.condition == Condition::routed;
    if (seqlen < config_.min_seq_len) {
      trace.intended.assign(scans.size(), seqlen);
      return trace;
    }
    const DeviceRow& d = *cell.device;
    for (const model::LayerScanRecord& s : scans) {
      if (!d.backend) {
        trace.chosen.push_back(*host_chunk);
        trace.intended.push_back(routed ? *host_chunk : seqlen);
        continue;
      }
      if (!s.entropy) {
        check_.fail(what + ", layer " + std::to_string(s.layer) + ": the backend reported no statistic for the "
                    "backend rule (it did not evaluate it)");
        trace.intended.push_back(routed ? s.chunk_requested : seqlen);
        continue;
      }
      const std::int64_t by_rule = d.decide_from_entropy(*s.entropy);
      if (routed && by_rule != s.chunk_requested) ++rule_mismatches;
      trace.chosen.push_back(routed ? s.chunk_requested : by_rule);
      trace.entropies.push_back(*s.entropy);
      trace.intended.push_back(routed ? s.chunk_requested : seqlen);
    }
    return trace;
  }

  // One generate of a cell; every scan call is checked.
  GenerateSample run_cell(Cell& cell, bool keep_logits, bool measured, const std::string& phase) {
    const std::string what = phase + " " + cell.row + "/" + std::string(to_string(cell.condition));
    HookTrace trace;
    std::optional<std::int64_t> host_chunk;
    model::PrefillOptions options;
    if (cell.device) {
      options = device_options(cell, host_chunk);
    } else {
      options.chunk_mode = config_.chunk_mode;
      options.chunk = 0;
      if (cell.scheduler) {
        options.hook_reads_activation = cell.scheduler->statistic().has_value();
        options.hook = make_scheduler_hook(*cell.scheduler, cell.condition, config_.min_seq_len, stats_, trace,
                                           config_.device_stats);
      }
    }
    GenerateSample sample = timed_generate(runner_, prompt_, config_.new_tokens, options, keep_logits);
    std::int64_t rule_mismatches = 0;
    if (cell.device) {
      trace = device_trace(cell, host_chunk, sample.scans, what, rule_mismatches);
    } else if (!cell.scheduler) {
      trace.intended.assign(static_cast<std::size_t>(runner_.config().n_layer), static_cast<std::int64_t>(prompt_.size()));
    }
    check_.check(what, trace.intended, sample.scans);
    if (measured) {
      cell.total_s.push_back(sample.total_s);
      cell.prefill_s.push_back(sample.prefill_s);
      if (sample.decode_steps > 0) cell.decode_per_token_s.push_back(sample.decode_s / static_cast<double>(sample.decode_steps));
      if (cell.scheduler && cell.scheduler->statistic()) cell.stats_s.push_back(trace.stats_s);
      for (std::int64_t q : trace.chosen) ++cell.histogram[q];
      cell.decisions += static_cast<std::int64_t>(trace.chosen.size());
      cell.entropies.insert(cell.entropies.end(), trace.entropies.begin(), trace.entropies.end());
      // On a device backend a host-side decision needs its statistic on the host: one sync per statistic
      // (F7), whether u or the value was copied. The CPU backend has no device to wait for.
      if (cell.scheduler && runner_.backend() != "cpu") cell.host_syncs += static_cast<std::int64_t>(trace.entropies.size());
      cell.rule_mismatches += rule_mismatches;
      if (!reference_ids_.empty() && sample.new_ids != reference_ids_) ++cell.output_mismatches;
    }
    return sample;
  }

  double run_round(std::size_t round, bool measured) {
    double total = 0.0;
    const std::string phase = measured ? "round " + std::to_string(round) : "warm-up round " + std::to_string(round);
    for (std::size_t index : rotated_round_order(cells_.size(), round)) total += run_cell(cells_[index], false, measured, phase).total_s;
    return total;
  }

  // Passive vs each row's routed (else active-only) output, logits kept; not timed.
  void equivalence_pass() {
    Cell passive = make_cell("passive", Condition::passive);
    const GenerateSample reference = run_cell(passive, true, false, "equivalence");
    reference_ids_ = reference.new_ids;
    for (const std::string& row : config_.rows) {
      Cell* cell = find(row, Condition::routed);
      if (!cell) cell = find(row, Condition::active_only);
      if (!cell) continue;
      const GenerateSample got = run_cell(*cell, true, false, "equivalence");
      const Equivalence e = compare_outputs(reference, got);
      equivalence_[row] = e.to_json();
      if (!e.bitwise_equal && check_.bitwise_chunk_invariant() && !not_equivalent_) {
        not_equivalent_ = "row " + row + ": the scan is bitwise chunk-invariant but the " +
                          std::string(to_string(cell->condition)) + " output differs from passive (first id mismatch " +
                          (e.first_mismatch ? std::to_string(*e.first_mismatch) : std::string("none")) +
                          ", max |logit diff| " + std::to_string(e.max_abs_logit_diff) + ")";
      }
    }
  }

  Cell* find(const std::string& row, Condition condition) {
    for (Cell& c : cells_) {
      if (c.row == row && c.condition == condition) return &c;
    }
    return nullptr;
  }
  const Cell* find(const std::string& row, Condition condition) const {
    for (const Cell& c : cells_) {
      if (c.row == row && c.condition == condition) return &c;
    }
    return nullptr;
  }

  bool criterion_met(std::string& why) {
    const stats::MeasureConfig& m = config_.measure;
    switch (m.criterion) {
      case stats::StopCriterion::sample_count:
        why = "sample_count";
        return true;
      case stats::StopCriterion::rel_stdev:
        for (const Cell& c : cells_) {
          const stats::Summary s = stats::summarize(c.total_s);
          if (!(s.stdev / s.mean <= m.max_noise)) return false;
        }
        why = "rel_stdev<=" + std::to_string(m.max_noise);
        return true;
      case stats::StopCriterion::ci_ratio: {
        const Cell* passive = find("passive", Condition::passive);
        if (passive) {
          stats::BootstrapConfig quick = config_.bootstrap;
          quick.resamples = std::min<std::size_t>(quick.resamples, 1000);
          for (const Cell& c : cells_) {
            if (&c == passive) continue;
            const auto ci = stats::bootstrap_median_ratio_ci(c.total_s, passive->total_s, stats::Pairing::paired, quick);
            if (!ci.finite() || !((ci.hi - ci.lo) / (2.0 * ci.estimate) <= m.rel_halfwidth)) return false;
          }
          why = "ratio_rel_halfwidth<=" + std::to_string(m.rel_halfwidth);
          return true;
        }
        [[fallthrough]];
      }
      case stats::StopCriterion::ci:
        for (const Cell& c : cells_) {
          const std::vector<double> sorted = stats::sorted_copy(c.total_s);
          const stats::MedianCi ci = stats::median_ci_sorted(sorted, m.confidence);
          if (!ci.exists() || !(ci.rel_halfwidth(stats::median_sorted(sorted)) <= m.rel_halfwidth)) return false;
        }
        why = "rel_halfwidth<=" + std::to_string(m.rel_halfwidth);
        return true;
    }
    return false;
  }

  Json cell_json(const Cell& c) const {
    const double level = config_.measure.confidence;
    Json j = Json::object();
    if (c.total_s.empty()) return j;
    j["n"] = c.total_s.size();
    j["time_s"] = stats::time_stats_json(c.total_s, level);
    j["prefill_s"] = stats::time_stats_json(c.prefill_s, level);
    j["decode_per_token_s"] = c.decode_per_token_s.empty() ? Json(nullptr) : stats::time_stats_json(c.decode_per_token_s, level);
    if (!c.stats_s.empty()) j["stats_time_s"] = stats::time_stats_json(c.stats_s, level);
    j["host_syncs_per_prefill"] = syncs_per_prefill(c);
    j["output_mismatches_vs_passive"] = c.output_mismatches;
    return j;
  }

  // Every measured prefill of a cell makes the same calls, so this is a whole number unless they differed.
  static Json syncs_per_prefill(const Cell& c) {
    if (c.total_s.empty()) return 0;
    const auto n = static_cast<std::int64_t>(c.total_s.size());
    if (c.host_syncs % n == 0) return c.host_syncs / n;
    return static_cast<double>(c.host_syncs) / static_cast<double>(n);
  }

  static Json entropy_summary(const std::vector<double>& values) {
    if (values.empty()) return nullptr;
    const std::vector<double> sorted = stats::sorted_copy(values);
    return Json{{"n", sorted.size()},
                {"min", sorted.front()},
                {"median", stats::median_sorted(sorted)},
                {"max", sorted.back()}};
  }

  Json ratio_json(const Cell* num, const Cell* den) const {
    if (!num || !den || num->total_s.empty() || num->total_s.size() != den->total_s.size())
      return Json{{"reason", "no paired samples"}};
    return stats::bootstrap_median_ratio_ci(num->total_s, den->total_s, stats::Pairing::paired, config_.bootstrap).to_json();
  }

  Json metrics_json() const {
    Json metrics = Json::object();
    const Cell* passive = nullptr;
    for (const Cell& c : cells_) {
      if (c.condition == Condition::passive) passive = &c;
    }
    metrics["passive"] = passive ? cell_json(*passive) : Json(nullptr);
    metrics["prompt_tokens"] = prompt_.size();
    metrics["new_tokens"] = config_.new_tokens;

    // The static oracle over the routed latencies of the static rows.
    std::vector<RoundSamples> routed_rows;
    std::vector<std::string> static_rows;
    for (const std::string& row : config_.rows) {
      const Cell* c = find(row, Condition::routed);
      if (!c || c->total_s.empty()) continue;
      routed_rows.push_back({row, c->total_s});
      if (dynamic_cast<const sched::StaticScheduler*>(c->policy())) static_rows.push_back(row);
    }
    std::optional<StaticOracle> oracle;
    Json oracle_json = Json::object();
    if (static_rows.empty()) {
      oracle_json = Json{{"mode", config_.oracle}, {"reason", "no static_chunk_<Q> row was measured routed"}};
    } else if (config_.oracle == "heldout" && routed_rows.front().samples.size() < 2) {
      oracle_json = Json{{"mode", config_.oracle}, {"reason", "heldout needs at least 2 rounds"}};
    } else {
      oracle = choose_static_oracle(routed_rows, static_rows, config_.oracle, config_.bootstrap);
      oracle_json = oracle->to_json();
    }
    metrics["oracle"] = oracle_json;

    Json rows = Json::array();
    Json max_syncs = 0;
    for (const std::string& row : config_.rows) {
      const Cell* active = find(row, Condition::active_only);
      const Cell* routed = find(row, Condition::routed);
      const Cell* any = routed ? routed : active;
      if (!any) continue;
      Json r = Json::object();
      r["row"] = row;
      r["scheduler"] = any->policy()->describe();
      const auto statistic = any->policy()->statistic();
      r["computes_statistic"] = statistic.has_value();
      r["stats_on"] = !statistic ? "none" : any->device ? "backend" : "host";
      if (any->device) r["device_row_of"] = any->device->host_row;
      r["is_static"] = dynamic_cast<const sched::StaticScheduler*>(any->policy()) != nullptr;
      // Host syncs of the row's scheduling per prefill: a host statistic of device-memory u costs one per
      // layer (F7); backend-evaluated rows and rows without a statistic cost none.
      const Json syncs = syncs_per_prefill(routed ? *routed : *any);
      r["host_syncs_per_forward"] = syncs;
      if (syncs != Json(0)) r["inherits_flaws"] = Json::array({"F7"});
      if (syncs.get<double>() > max_syncs.get<double>()) max_syncs = syncs;
      Json conditions = Json::object();
      if (active) conditions["active_only"] = cell_json(*active);
      if (routed) conditions["routed"] = cell_json(*routed);
      r["conditions"] = conditions;
      r["vs_passive"] = ratio_json(routed, passive);
      r["active_overhead"] = ratio_json(active, passive);
      if (oracle && routed) {
        std::size_t i = 0;
        while (i < oracle->rows.size() && oracle->rows[i] != row) ++i;
        if (i < oracle->rows.size()) {
          Json v = oracle->vs_best[i].to_json();
          v["ratio_median"] = v["estimate"];
          v["oracle"] = oracle->mode;
          v["oracle_row"] = oracle->oracle_row;
          v["indistinguishable"] = oracle->indistinguishable;
          Json folds = Json::array();
          for (const OracleFold& f : oracle->folds) folds.push_back(Json{{"oracle_row", f.oracle_row}, {"chosen_on", f.chosen_on}, {"ratio_median", f.ratios[i]}});
          v["folds"] = folds;
          r["vs_best_static"] = v;
        }
      }
      // Decisions of the measured samples (routed if measured, else active-only).
      const Cell& d = (routed && routed->decisions > 0) ? *routed : *any;
      Json histogram = Json::object();
      std::int64_t dominant = 0, dominant_count = 0;
      for (const auto& [q, n] : d.histogram) {
        histogram[std::to_string(q)] = n;
        if (n > dominant_count) dominant = q, dominant_count = n;
      }
      Json decisions{{"condition", std::string(to_string(d.condition))},
                     {"histogram", histogram},
                     {"decisions", d.decisions},
                     {"distinct", d.histogram.size()},
                     {"dominant_chunk", d.histogram.empty() ? Json(nullptr) : Json(dominant)},
                     {"dominant_share", d.decisions == 0 ? Json(nullptr) : Json(static_cast<double>(dominant_count) / static_cast<double>(d.decisions))},
                     {"adaptivity", d.histogram.size() > 1 ? "some" : "none"},
                     {"warmups_excluded", true},
                     {"entropy", entropy_summary(d.entropies)}};
      if (d.device && d.device->backend) decisions["rule_mismatches"] = d.rule_mismatches;
      if (d.histogram.size() == 1) {
        const std::string twin = "static_chunk_" + std::to_string(dominant);
        const bool measured = std::find(config_.rows.begin(), config_.rows.end(), twin) != config_.rows.end();
        decisions["static_equivalent"] = measured ? Json(twin) : Json(nullptr);
        // A collapsed row is compared with the static row of its one chunk (F10).
        if (measured && routed && twin != row) decisions["vs_static_equivalent"] = ratio_json(routed, find(twin, Condition::routed));
      }
      r["decisions"] = decisions;
      r["equivalence"] = equivalence_.count(row) ? equivalence_.at(row) : Json(nullptr);
      rows.push_back(r);
    }
    metrics["rows"] = rows;
    metrics["host_syncs_per_forward"] = max_syncs;
    return metrics;
  }

  model::ModelRunner& runner_;
  std::span<const std::int32_t> prompt_;
  const MatrixConfig& config_;
  std::vector<Cell> cells_;
  entropy::CpuStats stats_;
  ChunkCheck check_;
  std::vector<std::int32_t> reference_ids_;
  std::map<std::string, Json> equivalence_;
  std::optional<std::string> not_equivalent_;
};

}  // namespace

MatrixOutcome run_matrix(model::ModelRunner& runner, std::span<const std::int32_t> prompt, const MatrixConfig& config,
                         const std::atomic<bool>* cancel) {
  MatrixRun run(runner, prompt, config);
  return run.run(cancel);
}

}  // namespace corey::experiments
