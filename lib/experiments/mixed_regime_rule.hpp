#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"

namespace corey::experiments {

// One prompt of the per-regime sweep as the rule fitter sees it: its regime, its prompt length in tokens
// (the `seq_len` a learned table matches) and its latency under each static chunk (index = chunk index).
struct RulePrompt {
  std::string regime;
  std::int64_t tokens = 0;
  std::vector<double> latency_s;
};

// A sequence-length rule: prompts of at most `max_short_tokens` tokens run `short_chunk`, all others
// `long_chunk`; without a threshold it is the single static chunk `long_chunk`.
struct SeqLenRule {
  std::optional<std::int64_t> max_short_tokens;
  std::int64_t short_chunk = 0;
  std::int64_t long_chunk = 0;

  std::int64_t chunk_for(std::int64_t tokens) const;
  // The rule as a learned-table JSON that sched::LearnedTable reads (PAPER.md §2.4):
  // {"name", "description", "default_chunk": long, "rules": [{"name": "short_prompts", "max_seq_len": T, "chunk": short}]}
  Json learned_table(const std::string& description) const;
  std::string str() const;  // "seq_len <= 131 -> 32, else 128" or "static 128"
};

// Per-regime weights of an average: a regime missing from `weights` weighs 0; empty `weights` = equal weights.
using RegimeWeights = std::map<std::string, double>;

// Σ_r w_r · mean_{p ∈ r} latency_s[chunk_index(p)] / Σ_r w_r over the regimes present in `prompts`
// (per-regime mean over its prompts first, so a regime with more prompts does not weigh more).
// Throws corey::Error (usage) when the weights of the present regimes sum to 0.
template <class ChunkIndex>
double weighted_latency(const std::vector<RulePrompt>& prompts, const RegimeWeights& weights, ChunkIndex chunk_index);

// The rule of the smallest weighted latency on `fit` among every single static chunk and every
// (threshold, short chunk, long chunk) with short ≠ long; thresholds lie midway between consecutive distinct
// prompt lengths of `fit` (rounded down). A two-chunk rule must beat the best single chunk strictly, and
// earlier candidates win ties (chunks in the given order, smaller thresholds first). `chunks` ≥ 1 entries,
// every prompt one latency per chunk; throws corey::Error (usage) otherwise.
struct RuleFit {
  SeqLenRule rule;
  double fit_latency_s = 0;          // the weighted latency of `rule` on the fit prompts
  std::int64_t best_static_chunk = 0;  // the best single chunk on the fit prompts
  double best_static_latency_s = 0;
  std::size_t candidates = 0;        // rules compared
};
RuleFit fit_seq_len_rule(const std::vector<RulePrompt>& fit, const std::vector<std::int64_t>& chunks,
                         const RegimeWeights& weights);

// The index of `chunk` in `chunks`; throws corey::Error (usage) when absent.
std::size_t chunk_index(const std::vector<std::int64_t>& chunks, std::int64_t chunk);

// ---- implementation of the template

template <class ChunkIndex>
double weighted_latency(const std::vector<RulePrompt>& prompts, const RegimeWeights& weights, ChunkIndex chunk_index) {
  std::map<std::string, std::pair<double, std::size_t>> per_regime;
  for (const RulePrompt& p : prompts) {
    auto& [sum, n] = per_regime[p.regime];
    sum += p.latency_s.at(chunk_index(p));
    ++n;
  }
  double total = 0, weight_sum = 0;
  for (const auto& [regime, acc] : per_regime) {
    double w = 1.0;
    if (!weights.empty()) {
      const auto it = weights.find(regime);
      w = it == weights.end() ? 0.0 : it->second;
    }
    total += w * acc.first / static_cast<double>(acc.second);
    weight_sum += w;
  }
  if (!(weight_sum > 0)) throw_usage_error("the regime weights of the measured regimes sum to 0");
  return total / weight_sum;
}

}  // namespace corey::experiments
