#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "experiments/mixed_regime_sweep.hpp"

namespace corey::experiments {

// The decisions one (mode, prompt) produced: per scheduled layer, the chunk and the statistic.
struct ScanDecisions {
  std::string mode;
  std::size_t prompt = 0;  // index into the prompt list
  std::vector<std::int64_t> chunks;
  std::vector<std::optional<double>> entropies;
};

struct FeatureScanOutcome {
  std::vector<ScanDecisions> decisions;  // mode-outer, prompt-inner
  Json chunk_report;
  std::optional<std::string> not_honoured;
  double wall_s = 0;
  bool cancelled = false;  // stopped early: `decisions` holds what ran
};

// The feature scan (PAPER.md §6.8): every mode (a scheduler row) on every prompt, one greedy generate of
// `config.new_tokens` tokens each, active-only (decided, not passed to the scan: the scans run the whole
// prompt, and that is checked). `config.chunks` is not used.
FeatureScanOutcome run_feature_scan(model::ModelRunner& runner, const std::vector<RegimeCell>& prompts,
                                    const std::vector<std::string>& modes, const SweepConfig& config,
                                    const std::atomic<bool>* cancel = nullptr);

// One (mode, regime) row of the scan summary, as the authors' _summarize computes it.
struct DiversityRow {
  std::string mode;
  std::string regime;
  std::size_t prompts = 0;
  double prompt_tokens_mean = 0;
  std::optional<double> entropy_mean;  // over every layer record with a statistic
  double entropy_std = 0;              // population std; 0 with fewer than 2 values
  std::map<std::int64_t, std::int64_t> chunk_counts;
  std::optional<std::int64_t> dominant_chunk;  // the most frequent chunk, the smallest on ties
  double dominant_share = 0;                   // its share of all records (0 with none)
  bool diverse = false;                        // more than one chunk and dominant_share < 0.95
};

// Rows mode-major in `modes` order, regimes in first-seen prompt order. `tokens[p]` = prompt p's length.
std::vector<DiversityRow> summarize_diversity(const std::vector<ScanDecisions>& decisions,
                                              const std::vector<std::string>& regimes_of_prompts,
                                              const std::vector<std::int64_t>& tokens, const std::vector<std::string>& modes);

// GO ⇔ at least `min_diverse` rows are diverse (the paper: 3).
bool feature_scan_go(const std::vector<DiversityRow>& rows, std::size_t min_diverse = 3);

}  // namespace corey::experiments
