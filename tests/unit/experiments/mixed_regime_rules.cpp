// The mixed-regime study's pure parts on hand-computed cases: the sequence-length rule fit (every candidate
// worked out by hand below), its learned-table export read back by sched::LearnedTable, the authors'
// diversity / GO rule (PAPER.md §6.8, with the paper's short_chat counts), and the sweep analysis on latencies
// whose every average is known in closed form.
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catch.hpp"
#include "core/error.hpp"
#include "experiments/mixed_regime_analysis.hpp"
#include "experiments/mixed_regime_rule.hpp"
#include "experiments/mixed_regime_scan.hpp"
#include "sched/learned_table.hpp"

using namespace corey;
using namespace corey::experiments;

namespace {

// Regime a: two ~26-token prompts that prefer 128; regime b: two long prompts that prefer 512.
std::vector<RulePrompt> two_regimes() {
  return {{"a", 25, {1.0, 1.2}}, {"a", 27, {1.0, 1.2}}, {"b", 1000, {3.0, 2.5}}, {"b", 2048, {3.1, 2.6}}};
}

}  // namespace

TEST_CASE("the fitted rule is the best of every static chunk and every threshold rule", "[mixed_regime][rule]") {
  // Equal weights. static 128: (1.0 + 3.05) / 2 = 2.025; static 512: (1.2 + 2.55) / 2 = 1.875.
  // Thresholds midway: 26, 513, 1524. T = 513, 128 / 512: (1.0 + 2.55) / 2 = 1.775 (the best);
  // T = 26: (1.1 + 2.55) / 2 = 1.825; T = 1524: (1.0 + 2.8) / 2 = 1.9. 2 + 3 x 2 candidates.
  const RuleFit fit = fit_seq_len_rule(two_regimes(), {128, 512}, {});
  CHECK(fit.candidates == 8);
  CHECK(fit.best_static_chunk == 512);
  CHECK(fit.best_static_latency_s == Approx(1.875));
  REQUIRE(fit.rule.max_short_tokens);
  CHECK(*fit.rule.max_short_tokens == 513);
  CHECK(fit.rule.short_chunk == 128);
  CHECK(fit.rule.long_chunk == 512);
  CHECK(fit.fit_latency_s == Approx(1.775));
  CHECK(fit.rule.str() == "seq_len <= 513 -> 128, else 512");

  // Only regime b counts: static 512 gives 2.55 and no threshold rule beats it strictly (best 2.8).
  const RuleFit b_only = fit_seq_len_rule(two_regimes(), {128, 512}, {{"a", 0.0}, {"b", 1.0}});
  CHECK_FALSE(b_only.rule.max_short_tokens);
  CHECK(b_only.rule.long_chunk == 512);
  CHECK(b_only.fit_latency_s == Approx(2.55));
  CHECK(b_only.rule.str() == "static 512");

  CHECK_THROWS_AS(fit_seq_len_rule(two_regimes(), {128}, {}), Error);
  CHECK_THROWS_AS(fit_seq_len_rule({}, {128}, {}), Error);
  CHECK_THROWS_AS(fit_seq_len_rule(two_regimes(), {128, 512}, {{"c", 1.0}}), Error);
}

TEST_CASE("the exported rule is a learned table routed-ablation reads", "[mixed_regime][rule]") {
  const RuleFit fit = fit_seq_len_rule(two_regimes(), {128, 512}, {});
  const sched::LearnedTable table = sched::LearnedTable::parse(fit.rule.learned_table("test"), "fitted.json");
  CHECK(table.uses_only_seq_len());
  CHECK(table.default_chunk() == 512);
  for (const std::int64_t tokens : {1, 25, 513, 514, 4096}) {
    sched::Features f;
    f.seq_len = tokens;
    f.layer_idx = 3;
    f.entropy = 2.0;
    CHECK(table.lookup(f).chunk == fit.rule.chunk_for(tokens));
  }
  sched::Features at_threshold;
  at_threshold.seq_len = 513;  // bounds are inclusive
  CHECK(table.lookup(at_threshold).chunk == 128);
  CHECK(table.lookup(at_threshold).policy_rule == "short_prompts");
  const SeqLenRule constant{std::nullopt, 0, 256};
  const sched::LearnedTable flat = sched::LearnedTable::parse(constant.learned_table("flat"), "flat.json");
  CHECK(flat.rules().empty());
  CHECK(flat.default_chunk() == 256);
}

TEST_CASE("diversity and GO follow the authors' rule", "[mixed_regime][scan]") {
  // Paper: short_chat under sampled_hist chose {256: 446, 512: 514} -> dominant share 514/960, diverse.
  // Prompt 0: 446 x 256 then 514 x 512; prompt 1 (other regime): all 512; prompt 2: 95 % 128 (not diverse: < 0.95 fails).
  ScanDecisions d0{"sampled_hist_s8", 0, {}, {}};
  for (int i = 0; i < 446; ++i) d0.chunks.push_back(256), d0.entropies.push_back(3.0);
  for (int i = 0; i < 514; ++i) d0.chunks.push_back(512), d0.entropies.push_back(4.0);
  ScanDecisions d1{"sampled_hist_s8", 1, std::vector<std::int64_t>(48, 512), std::vector<std::optional<double>>(48, 5.0)};
  ScanDecisions d2{"sampled_hist_s8", 2, {}, {}};
  for (int i = 0; i < 95; ++i) d2.chunks.push_back(128), d2.entropies.push_back(std::nullopt);
  for (int i = 0; i < 5; ++i) d2.chunks.push_back(256), d2.entropies.push_back(std::nullopt);
  const auto rows = summarize_diversity({d0, d1, d2}, {"short_chat", "logs_uuid", "tables_csv"}, {25, 2048, 1500}, {"sampled_hist_s8"});
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].regime == "short_chat");
  CHECK(rows[0].dominant_chunk == 512);
  CHECK(rows[0].dominant_share == Approx(514.0 / 960.0));
  CHECK(rows[0].diverse);
  // Mean and population std of 446 threes and 514 fours.
  const double p = 514.0 / 960.0;
  CHECK(*rows[0].entropy_mean == Approx(3.0 + p));
  CHECK(rows[0].entropy_std == Approx(std::sqrt(p * (1 - p))));
  CHECK(rows[0].prompt_tokens_mean == 25.0);
  CHECK_FALSE(rows[1].diverse);
  CHECK(rows[1].entropy_std == 0.0);
  CHECK(rows[2].dominant_share == Approx(0.95));
  CHECK_FALSE(rows[2].diverse);
  CHECK_FALSE(rows[2].entropy_mean);
  CHECK_FALSE(feature_scan_go(rows));
  CHECK(feature_scan_go(rows, 1));
}

TEST_CASE("the sweep analysis chooses on the fit prompts and evaluates on the held-out ones", "[mixed_regime][analysis]") {
  // Regime a prefers 128 (0.100 vs 0.120 s), regime b prefers 512 (0.300 vs 0.250 s), identically in every round.
  std::vector<RegimeCell> prompts = {{"a:000", "a", 0, std::vector<std::int32_t>(25, 1), 25, true, false},
                                     {"a:001", "a", 1, std::vector<std::int32_t>(26, 1), 26, false, true},
                                     {"b:000", "b", 0, std::vector<std::int32_t>(1000, 1), 1000, true, false},
                                     {"b:001", "b", 1, std::vector<std::int32_t>(1100, 1), 1100, false, true}};
  SweepOutcome outcome;
  outcome.arms = {"static_chunk_128", "static_chunk_512"};
  outcome.rounds = 4;
  const double a[2] = {0.100, 0.120}, b[2] = {0.300, 0.250};
  for (const RegimeCell& p : prompts) {
    std::vector<std::vector<double>> arms;
    for (int k = 0; k < 2; ++k) arms.push_back(std::vector<double>(4, p.regime == "a" ? a[k] : b[k]));
    outcome.samples.push_back(arms);
    outcome.decisions.push_back(std::vector<std::map<std::int64_t, std::int64_t>>(2));
  }
  SweepAnalysisConfig config;
  config.chunks = {128, 512};
  config.traffic = {{"a", 3.0}, {"b", 1.0}};
  config.fit_label = "i < 1";
  config.holdout_label = "i = 1";
  config.bootstrap.resamples = 200;
  const Json m = analyze_sweep(prompts, outcome, config);

  auto global = [&](const std::string& split, const std::string& weighting, const std::string& policy) {
    for (const Json& g : m["global"]) {
      if (g["split"] == split && g["weighting"] == weighting && g["policy"] == policy) return g;
    }
    FAIL("no row " << split << " " << weighting << " " << policy);
    return Json();
  };
  // Equal: static 128 = 0.200, static 512 = 0.185 (global best), oracle = rule = (0.100 + 0.250) / 2 = 0.175.
  for (const std::string split : {"fit", "holdout"}) {
    CHECK(global(split, "equal", "static_chunk_128")["mean_ms"].get<double>() == Approx(200.0));
    CHECK(global(split, "equal", "global_best_static")["choice"] == "static_chunk_512");
    const Json oracle = global(split, "equal", "per_regime_oracle");
    CHECK(oracle["mean_ms"].get<double>() == Approx(175.0));
    CHECK(oracle["gain_vs_global_static_pct"].get<double>() == Approx((0.185 - 0.175) / 0.185 * 100));
    CHECK(oracle["vs_global_static"]["estimate"].get<double>() == Approx(0.175 / 0.185));
    CHECK(global(split, "equal", "seq_len_rule")["mean_ms"].get<double>() == Approx(175.0));
    CHECK(global(split, "equal", "seq_len_rule")["time_s"]["median"].get<double>() == Approx(0.175));
  }
  // Traffic 3:1: static 128 = (0.3 + 0.3) / 4 = 0.150 beats static 512 = (0.36 + 0.25) / 4 = 0.1525.
  CHECK(global("holdout", "traffic", "global_best_static")["choice"] == "static_chunk_128");
  CHECK(global("holdout", "traffic", "per_regime_oracle")["mean_ms"].get<double>() == Approx((0.3 + 0.25) / 4 * 1e3));
  REQUIRE(m["fitted_rules"].size() == 2);
  const Json& rule = m["fitted_rules"][0];
  CHECK(rule["threshold_tokens"] == 512);  // 25 + (1000 - 25) / 2
  CHECK(rule["short_chunk"] == 128);
  CHECK(rule["long_chunk"] == 512);
  CHECK(rule["evaluated_on"] == "holdout (i = 1)");
  CHECK(rule["gain_vs_static_ci"]["estimate"].get<double>() == Approx(0.175 / 0.185));
  for (const Json& r : m["regime_best"]) {
    CHECK(r["best_chunk"] == (r["regime"] == "a" ? 128 : 512));
    CHECK(r["global_static_chunk"] == 512);
  }
  // a: the global 512 is 20 % slower than its best 128, two buckets away: useful; b's best is the global chunk.
  CHECK(m["gates"]["useful_regimes"] == Json::array({"a"}));
  CHECK_FALSE(m["gates"]["h800_gate_fit_equal"].get<bool>());
  for (const Json& x : m["per_regime"]) {
    if (x["split"] == "fit" && x["regime"] == "a" && x["arm"] == "static_chunk_512") {
      CHECK(x["mean_ms"].get<double>() == Approx(120.0));
      CHECK(x["std_ms"].get<double>() == Approx(0.0).margin(1e-12));
      CHECK(x["vs_regime_best"]["estimate"].get<double>() == Approx(1.2));
    }
  }
}
