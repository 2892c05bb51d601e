#pragma once
#include <string>
#include <vector>

#include "core/json.hpp"
#include "experiments/mixed_regime_rule.hpp"
#include "experiments/mixed_regime_sweep.hpp"
#include "stats/bootstrap.hpp"

namespace corey::experiments {

struct SweepAnalysisConfig {
  std::vector<std::int64_t> chunks;  // the static arms, in the order they were measured
  RegimeWeights traffic;             // spec weights; empty: only the equal-weight averages
  std::string fit_label;             // "i < 8"
  std::string holdout_label;         // "8 <= i <= 19"
  double level = 0.95;               // CI level of the latency medians
  stats::BootstrapConfig bootstrap;  // ratio CIs (paired by round)
};

// Turns the per-round samples of a static sweep into the study's metrics (PAPER.md §6.9 and its honest
// variant). Every choice is made on the fit prompts: the global best static chunk, the per-regime oracle and
// the fitted sequence-length rule by per-prompt medians; a regime's `best_chunk` and the roadmap gates by the
// paper's mean of per-prompt means (`best_chunk_median` gives the median choice beside it). Each is then
// evaluated on both halves (fit = in-sample, the paper's view; holdout = honest). A policy's latency per round is the
// weighted mean over regimes of the mean over the regime's prompts, so every comparison pairs by round.
//   {per_regime: [...], regime_best: [...], global: [...], fitted_rules: [...], gates: {...}}
// `mean_ms` / `std_ms` are the paper's statistics (mean and population std over prompts of per-prompt
// means); `time_s` is the median over rounds with its order-statistic CI.
Json analyze_sweep(const std::vector<RegimeCell>& prompts, const SweepOutcome& outcome, const SweepAnalysisConfig& config);

}  // namespace corey::experiments
