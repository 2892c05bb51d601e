#include "experiments/mixed_regime_analysis.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "stats/quantile.hpp"
#include "stats/time_stats.hpp"

namespace corey::experiments {
namespace {

// A policy: the arm each prompt runs (index into outcome.arms).
using ArmOf = std::function<std::size_t(std::size_t prompt)>;

struct Ctx {
  const std::vector<RegimeCell>& prompts;
  const SweepOutcome& outcome;
  const SweepAnalysisConfig& config;
  std::vector<std::string> regimes;  // first-seen order
};

std::vector<std::size_t> split_of(const Ctx& c, const std::string& split, const std::string& regime = "") {
  std::vector<std::size_t> out;
  for (std::size_t p = 0; p < c.prompts.size(); ++p) {
    const RegimeCell& x = c.prompts[p];
    if ((split == "fit" ? x.fit : x.holdout) && (regime.empty() || x.regime == regime)) out.push_back(p);
  }
  return out;
}

double median_of(const std::vector<double>& v) { return stats::median_sorted(stats::sorted_copy(v)); }
double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (const double x : v) s += x;
  return s / static_cast<double>(v.size());
}
double pstdev_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (const double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size()));
}

// Per round: Σ_r w_r · mean_{p ∈ S_r} t[p][arm(p)][k] / Σ_r w_r (equal weights when `weights` is empty).
std::vector<double> series(const Ctx& c, const std::vector<std::size_t>& set, const RegimeWeights& weights, const ArmOf& arm) {
  std::vector<double> out(c.outcome.rounds, 0.0);
  for (std::size_t k = 0; k < c.outcome.rounds; ++k) {
    std::vector<RulePrompt> at_round;
    for (const std::size_t p : set) at_round.push_back({c.prompts[p].regime, 0, {c.outcome.samples[p][arm(p)][k]}});
    out[k] = weighted_latency(at_round, weights, [](const RulePrompt&) { return std::size_t{0}; });
  }
  return out;
}

// The paper's statistic of a policy: the same weighted mean, of per-prompt means over rounds.
double paper_mean(const Ctx& c, const std::vector<std::size_t>& set, const RegimeWeights& weights, const ArmOf& arm) {
  std::vector<RulePrompt> means;
  for (const std::size_t p : set) means.push_back({c.prompts[p].regime, 0, {mean_of(c.outcome.samples[p][arm(p)])}});
  return weighted_latency(means, weights, [](const RulePrompt&) { return std::size_t{0}; });
}

// The fit prompts' per-prompt median latency of every static arm.
std::vector<RulePrompt> rule_prompts(const Ctx& c, const std::vector<std::size_t>& set) {
  std::vector<RulePrompt> out;
  for (const std::size_t p : set) {
    RulePrompt r{c.prompts[p].regime, static_cast<std::int64_t>(c.prompts[p].ids.size()), {}};
    for (std::size_t a = 0; a < c.config.chunks.size(); ++a) r.latency_s.push_back(median_of(c.outcome.samples[p][a]));
    out.push_back(std::move(r));
  }
  return out;
}

std::string verdict(const stats::BootstrapCi& ci) {
  if (!ci.finite()) return "n/a";
  if (ci.lo <= 1.0 && ci.hi >= 1.0) return "≈";
  return ci.lo > 1.0 ? "slower" : "faster";
}

Json ratio(const Ctx& c, const std::vector<double>& num, const std::vector<double>& den) {
  const stats::BootstrapCi ci = stats::bootstrap_median_ratio_ci(num, den, stats::Pairing::paired, c.config.bootstrap);
  Json j = ci.to_json();
  j["verdict"] = verdict(ci);
  return j;
}

}  // namespace

Json analyze_sweep(const std::vector<RegimeCell>& prompts, const SweepOutcome& outcome, const SweepAnalysisConfig& config) {
  Ctx c{prompts, outcome, config, {}};
  for (const RegimeCell& p : prompts) {
    if (std::find(c.regimes.begin(), c.regimes.end(), p.regime) == c.regimes.end()) c.regimes.push_back(p.regime);
  }
  Json metrics = Json::object();
  metrics["splits"] = Json{{"fit", config.fit_label}, {"holdout", config.holdout_label}};
  if (outcome.rounds == 0 || config.chunks.empty() || split_of(c, "fit").empty()) {
    metrics["reason"] = "nothing to analyse (no measured round, no static chunk or no fit prompt)";
    return metrics;
  }
  const std::size_t n_static = config.chunks.size();
  std::vector<std::string> splits = {"fit"};
  if (!split_of(c, "holdout").empty()) splits.push_back("holdout");
  std::vector<std::pair<std::string, RegimeWeights>> weightings = {{"equal", {}}};
  if (!config.traffic.empty()) weightings.push_back({"traffic", config.traffic});

  // A regime's best static chunk on the fit prompts: by per-prompt medians (honest) and by the paper's mean of means.
  std::map<std::string, std::size_t> best_median, best_mean;
  for (const std::string& regime : c.regimes) {
    const std::vector<std::size_t> fit = split_of(c, "fit", regime);
    if (fit.empty()) continue;
    const std::vector<RulePrompt> rp = rule_prompts(c, fit);
    double best_m = 0, best_p = 0;
    for (std::size_t a = 0; a < n_static; ++a) {
      const double m = weighted_latency(rp, {}, [a](const RulePrompt&) { return a; });
      const double pm = paper_mean(c, fit, {}, [a](std::size_t) { return a; });
      if (a == 0 || m < best_m) best_m = m, best_median[regime] = a;
      if (a == 0 || pm < best_p) best_p = pm, best_mean[regime] = a;
    }
  }

  // Per (split, regime, arm).
  Json per_regime = Json::array();
  for (const std::string& split : splits) {
    for (const std::string& regime : c.regimes) {
      const std::vector<std::size_t> set = split_of(c, split, regime);
      if (set.empty() || !best_median.count(regime)) continue;
      const std::size_t best = best_median.at(regime);
      const std::vector<double> best_series = series(c, set, {}, [best](std::size_t) { return best; });
      double tokens = 0;
      for (const std::size_t p : set) tokens += static_cast<double>(prompts[p].ids.size());
      for (std::size_t a = 0; a < outcome.arms.size(); ++a) {
        std::vector<double> per_prompt;
        std::map<std::int64_t, std::int64_t> histogram;
        for (const std::size_t p : set) {
          per_prompt.push_back(mean_of(outcome.samples[p][a]));
          for (const auto& [q, n] : outcome.decisions[p][a]) histogram[q] += n;
        }
        const std::vector<double> s = series(c, set, {}, [a](std::size_t) { return a; });
        Json h = Json::object();
        for (const auto& [q, n] : histogram) h[std::to_string(q)] = n;
        per_regime.push_back(Json{{"split", split},
                                  {"regime", regime},
                                  {"arm", outcome.arms[a]},
                                  {"is_static", a < n_static},
                                  {"prompts", set.size()},
                                  {"tokens_mean", tokens / static_cast<double>(set.size())},
                                  {"mean_ms", mean_of(per_prompt) * 1e3},
                                  {"std_ms", pstdev_of(per_prompt) * 1e3},
                                  {"time_s", stats::time_stats_json(s, config.level)},
                                  {"vs_regime_best", ratio(c, s, best_series)},
                                  {"regime_best_arm", outcome.arms[best]},
                                  {"decisions", h}});
      }
    }
  }
  metrics["per_regime"] = per_regime;

  // Choices made on the fit prompts, per weighting.
  const std::vector<std::size_t> fit_all = split_of(c, "fit");
  const std::vector<RulePrompt> fit_rp = rule_prompts(c, fit_all);
  Json global = Json::array();
  Json fitted = Json::array();
  Json gates = Json::object();
  for (const auto& [weighting, weights] : weightings) {
    const RuleFit rule = fit_seq_len_rule(fit_rp, config.chunks, weights);
    const std::size_t global_static = chunk_index(config.chunks, rule.best_static_chunk);
    struct Policy {
      std::string name;
      Json choice;
      ArmOf arm;
    };
    std::vector<Policy> policies;
    for (std::size_t a = 0; a < n_static; ++a) policies.push_back({outcome.arms[a], outcome.arms[a], [a](std::size_t) { return a; }});
    policies.push_back({"global_best_static", outcome.arms[global_static], [global_static](std::size_t) { return global_static; }});
    Json oracle_choice = Json::object();
    for (const auto& [regime, a] : best_median) oracle_choice[regime] = config.chunks[a];
    policies.push_back({"per_regime_oracle", oracle_choice, [&c, &best_median, global_static](std::size_t p) {
                          const auto it = best_median.find(c.prompts[p].regime);
                          return it == best_median.end() ? global_static : it->second;
                        }});
    const SeqLenRule fitted_rule = rule.rule;
    const std::vector<std::int64_t> chunks = config.chunks;
    policies.push_back({"seq_len_rule", fitted_rule.str(), [&c, fitted_rule, chunks](std::size_t p) {
                          return chunk_index(chunks, fitted_rule.chunk_for(static_cast<std::int64_t>(c.prompts[p].ids.size())));
                        }});
    for (std::size_t a = n_static; a < outcome.arms.size(); ++a) policies.push_back({outcome.arms[a], outcome.arms[a], [a](std::size_t) { return a; }});

    for (const std::string& split : splits) {
      const std::vector<std::size_t> set = split_of(c, split);
      const std::vector<double> base = series(c, set, weights, policies[n_static].arm);
      const double base_mean = paper_mean(c, set, weights, policies[n_static].arm);
      for (const Policy& pol : policies) {
        const std::vector<double> s = series(c, set, weights, pol.arm);
        const double m = paper_mean(c, set, weights, pol.arm);
        global.push_back(Json{{"split", split},
                              {"weighting", weighting},
                              {"policy", pol.name},
                              {"choice", pol.choice},
                              {"mean_ms", m * 1e3},
                              {"time_s", stats::time_stats_json(s, config.level)},
                              {"vs_global_static", ratio(c, s, base)},
                              {"gain_vs_global_static_pct", (base_mean - m) / base_mean * 100.0}});
        if (pol.name == "per_regime_oracle")
          gates[split + "_" + weighting + "_oracle_gain_pct"] = (base_mean - m) / base_mean * 100.0;
      }
    }
    Json f{{"weighting", weighting},
           {"rule", fitted_rule.str()},
           {"threshold_tokens", fitted_rule.max_short_tokens ? Json(*fitted_rule.max_short_tokens) : Json(nullptr)},
           {"short_chunk", fitted_rule.max_short_tokens ? Json(fitted_rule.short_chunk) : Json(nullptr)},
           {"long_chunk", fitted_rule.long_chunk},
           {"chosen_on", "fit (" + config.fit_label + ")"},
           {"evaluated_on", splits.size() > 1 ? "holdout (" + config.holdout_label + ")" : "fit (in-sample: no holdout prompts)"},
           {"fit_latency_ms", rule.fit_latency_s * 1e3},
           {"best_static_chunk", rule.best_static_chunk},
           {"best_static_fit_latency_ms", rule.best_static_latency_s * 1e3},
           {"candidates", rule.candidates},
           {"learned_table", fitted_rule.learned_table("sequence-length rule fitted by corey mixed-regime on " + config.fit_label +
                                                       " (" + weighting + " weights), " + std::to_string(rule.candidates) +
                                                       " candidate rules")}};
    const std::string eval = splits.back();
    const std::vector<std::size_t> eval_set = split_of(c, eval);
    f["gain_vs_static_ci"] = ratio(c, series(c, eval_set, weights, policies[n_static + 2].arm), series(c, eval_set, weights, policies[n_static].arm));
    fitted.push_back(f);
  }
  metrics["global"] = global;
  metrics["fitted_rules"] = fitted;

  // The authors' roadmap gates: a useful regime is ≥ 1 bucket from the global best static chunk with a > 5 %
  // gap (paper means on the fit prompts); the H800 run needs a ≥ 10 % weighted gain of the per-regime oracle.
  Json regime_best = Json::array();
  const std::size_t global_static = chunk_index(config.chunks, fit_seq_len_rule(fit_rp, config.chunks, {}).best_static_chunk);
  Json useful = Json::array();
  for (const std::string& regime : c.regimes) {
    if (!best_mean.count(regime)) continue;
    const std::vector<std::size_t> fit = split_of(c, "fit", regime);
    const std::size_t bm = best_mean.at(regime), bmed = best_median.at(regime);
    const double t_best = paper_mean(c, fit, {}, [bm](std::size_t) { return bm; });
    const double t_global = paper_mean(c, fit, {}, [global_static](std::size_t) { return global_static; });
    const double t_first = paper_mean(c, fit, {}, [](std::size_t) { return std::size_t{0}; });
    const double t_last = paper_mean(c, fit, {}, [n_static](std::size_t) { return n_static - 1; });
    const double buckets = std::abs(std::log2(static_cast<double>(config.chunks[bm])) -
                                    std::log2(static_cast<double>(config.chunks[global_static])));
    const double gap_pct = (t_global - t_best) / t_best * 100.0;
    const bool is_useful = buckets >= 1.0 && gap_pct > 5.0;
    if (is_useful) useful.push_back(regime);
    Json row{{"regime", regime},
             {"best_chunk", config.chunks[bm]},
             {"best_chunk_median", config.chunks[bmed]},
             {"best_mean_ms", t_best * 1e3},
             {"last_vs_first_pct", (t_last - t_first) / t_first * 100.0},
             {"global_static_chunk", config.chunks[global_static]},
             {"gap_vs_global_static_pct", gap_pct},
             {"useful", is_useful}};
    const std::string eval = splits.back();
    const std::vector<std::size_t> eval_set = split_of(c, eval, regime);
    if (!eval_set.empty()) {
      row["evaluated_on"] = eval;
      row["vs_global_static"] = ratio(c, series(c, eval_set, {}, [bmed](std::size_t) { return bmed; }),
                                      series(c, eval_set, {}, [global_static](std::size_t) { return global_static; }));
    }
    regime_best.push_back(row);
  }
  metrics["regime_best"] = regime_best;
  gates["useful_regimes"] = useful;
  gates["h800_gate_min_gain_pct"] = 10.0;
  gates["h800_gate_fit_equal"] = gates.value("fit_equal_oracle_gain_pct", 0.0) >= 10.0;
  metrics["gates"] = gates;
  return metrics;
}

}  // namespace corey::experiments
