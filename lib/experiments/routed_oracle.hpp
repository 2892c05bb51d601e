#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "stats/bootstrap.hpp"

namespace corey::experiments {

// One row's latency samples from an interleaved study: samples[r] was measured in round r.
struct RoundSamples {
  std::string row;
  std::vector<double> samples;
};

// One direction of the held-out choice: the best static row by median on one half of the rounds, every
// row's ratio of medians against it on the other half.
struct OracleFold {
  std::string chosen_on;     // "even" | "odd"
  std::string evaluated_on;  // the other half
  std::string oracle_row;
  std::vector<double> ratios;  // per row (order of the input), held-out median ratio

  Json to_json(const std::vector<std::string>& rows) const;
};

// The comparison of every row with the best static row (HARNESS.md §4.9).
struct StaticOracle {
  std::string mode;  // "heldout" | "min-of-means"
  std::vector<std::string> rows;   // the input rows' names, in order
  std::vector<OracleFold> folds;   // heldout: chosen on even / judged on odd, and the reverse
  std::string oracle_row;          // heldout: the even-round choice (the first fold); min-of-means: the choice
  bool folds_agree = true;
  // Per round, the best static row's sample: heldout cross-fit — rounds of one half use the oracle chosen
  // on the other half, so no sample in the denominator took part in choosing it; min-of-means: the chosen
  // row's samples (the paper's winner's curse, F9).
  std::vector<double> denominator;
  std::vector<stats::BootstrapCi> vs_best;      // per row: median(row) / median(denominator), paired by round
  std::vector<std::string> indistinguishable;   // static rows whose vs_best CI contains 1.0

  // {mode, oracle_row, folds_agree, folds: [...], indistinguishable}; per-row ratios are the caller's.
  Json to_json() const;
};

// Chooses the static oracle among `static_rows` (row names present in `rows`; every row has the same number
// of rounds). Throws corey::Error (usage) when there is no static row, and for heldout when there are fewer
// than 2 rounds (one per half).
StaticOracle choose_static_oracle(const std::vector<RoundSamples>& rows, const std::vector<std::string>& static_rows,
                                  const std::string& mode, const stats::BootstrapConfig& bootstrap);

}  // namespace corey::experiments
