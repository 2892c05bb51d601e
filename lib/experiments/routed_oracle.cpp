#include "experiments/routed_oracle.hpp"

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "stats/quantile.hpp"

namespace corey::experiments {
namespace {

double median_at(const std::vector<double>& samples, std::size_t parity) {
  std::vector<double> half;
  for (std::size_t r = parity; r < samples.size(); r += 2) half.push_back(samples[r]);
  return stats::median_inplace(half);
}

double mean_of(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()); }

std::size_t index_of(const std::vector<RoundSamples>& rows, const std::string& name) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].row == name) return i;
  }
  throw_usage_error("static oracle: no samples for row '" + name + "'");
}

}  // namespace

Json OracleFold::to_json(const std::vector<std::string>& rows) const {
  Json ratios_json = Json::object();
  for (std::size_t i = 0; i < rows.size() && i < ratios.size(); ++i) ratios_json[rows[i]] = ratios[i];
  return Json{{"chosen_on", chosen_on}, {"evaluated_on", evaluated_on}, {"oracle_row", oracle_row}, {"ratios", ratios_json}};
}

Json StaticOracle::to_json() const {
  Json folds_json = Json::array();
  for (const OracleFold& f : folds) folds_json.push_back(f.to_json(rows));
  return Json{{"mode", mode},
              {"oracle_row", oracle_row},
              {"folds_agree", folds_agree},
              {"folds", folds_json},
              {"indistinguishable", indistinguishable}};
}

StaticOracle choose_static_oracle(const std::vector<RoundSamples>& rows, const std::vector<std::string>& static_rows,
                                  const std::string& mode, const stats::BootstrapConfig& bootstrap) {
  if (static_rows.empty()) throw_usage_error("static oracle: the study has no static_chunk_<Q> row");
  std::vector<std::size_t> statics;
  for (const std::string& name : static_rows) statics.push_back(index_of(rows, name));
  const std::size_t rounds = rows[statics.front()].samples.size();
  for (const RoundSamples& r : rows) {
    if (r.samples.size() != rounds) throw_usage_error("static oracle: rows have different numbers of rounds");
  }
  StaticOracle oracle;
  oracle.mode = mode;
  for (const RoundSamples& r : rows) oracle.rows.push_back(r.row);
  if (mode == "heldout") {
    if (rounds < 2) throw_usage_error("static oracle: heldout needs at least 2 rounds");
    std::size_t chosen[2] = {0, 0};
    for (std::size_t parity : {0u, 1u}) {
      OracleFold fold;
      fold.chosen_on = parity == 0 ? "even" : "odd";
      fold.evaluated_on = parity == 0 ? "odd" : "even";
      std::size_t best = statics.front();
      for (std::size_t s : statics) {
        if (median_at(rows[s].samples, parity) < median_at(rows[best].samples, parity)) best = s;
      }
      chosen[parity] = best;
      fold.oracle_row = rows[best].row;
      const double denominator = median_at(rows[best].samples, 1 - parity);
      for (const RoundSamples& r : rows) fold.ratios.push_back(median_at(r.samples, 1 - parity) / denominator);
      oracle.folds.push_back(std::move(fold));
    }
    oracle.oracle_row = rows[chosen[0]].row;
    oracle.folds_agree = chosen[0] == chosen[1];
    // Round r's denominator comes from the oracle chosen on the other half.
    for (std::size_t r = 0; r < rounds; ++r) oracle.denominator.push_back(rows[chosen[r % 2 == 0 ? 1 : 0]].samples[r]);
  } else if (mode == "min-of-means") {
    std::size_t best = statics.front();
    for (std::size_t s : statics) {
      if (mean_of(rows[s].samples) < mean_of(rows[best].samples)) best = s;
    }
    oracle.oracle_row = rows[best].row;
    oracle.denominator = rows[best].samples;
  } else {
    throw_usage_error("oracle must be heldout or min-of-means, got '" + mode + "'");
  }
  for (const RoundSamples& r : rows) {
    oracle.vs_best.push_back(
        stats::bootstrap_median_ratio_ci(r.samples, oracle.denominator, stats::Pairing::paired, bootstrap));
  }
  for (std::size_t s : statics) {
    const stats::BootstrapCi& ci = oracle.vs_best[s];
    if (ci.finite() && ci.lo <= 1.0 && ci.hi >= 1.0) oracle.indistinguishable.push_back(rows[s].row);
  }
  return oracle;
}

}  // namespace corey::experiments
