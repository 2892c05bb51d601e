// Interleaving order and the held-out static oracle against tools/routed_reference.py (numpy medians).
#include <fstream>
#include <string>

#include "catch.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "experiments/routed_oracle.hpp"
#include "experiments/routed_order.hpp"

using namespace corey;
using namespace corey::experiments;

namespace {

Json reference() {
  std::ifstream in(std::string(COREY_TEST_DATA_DIR) + "/routed/oracle_reference.json");
  REQUIRE(in);
  return Json::parse(in);
}

std::vector<RoundSamples> rows_of(const Json& ref) {
  std::vector<RoundSamples> rows;
  for (const auto& [name, samples] : ref["samples"].items()) rows.push_back({name, samples.get<std::vector<double>>()});
  return rows;
}

stats::BootstrapConfig quick() {
  stats::BootstrapConfig c;
  c.resamples = 2000;
  c.seed = 7;
  return c;
}

}  // namespace

TEST_CASE("rounds run every cell once, rotated by one each round", "[routed][order]") {
  const Json ref = reference();
  const auto cells = ref["rotation"]["cells"].get<std::size_t>();
  const Json& orders = ref["rotation"]["orders"];
  for (std::size_t r = 0; r < orders.size(); ++r) {
    CAPTURE(r);
    CHECK(rotated_round_order(cells, r) == orders[r].get<std::vector<std::size_t>>());
  }
  // Over P consecutive rounds every cell takes every position once (a cyclic Latin square).
  for (std::size_t position = 0; position < cells; ++position) {
    std::vector<int> seen(cells, 0);
    for (std::size_t r = 0; r < cells; ++r) ++seen[rotated_round_order(cells, r)[position]];
    CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
  }
}

TEST_CASE("held-out oracle: chosen on one half, judged on the other, cross-fitted", "[routed][oracle]") {
  const Json ref = reference();
  const std::vector<RoundSamples> rows = rows_of(ref);
  const auto statics = ref["static_rows"].get<std::vector<std::string>>();
  const StaticOracle oracle = choose_static_oracle(rows, statics, "heldout", quick());
  REQUIRE(oracle.folds.size() == 2);
  for (std::size_t f = 0; f < 2; ++f) {
    const Json& want = ref["folds"][f];
    CHECK(oracle.folds[f].chosen_on == want["chosen_on"].get<std::string>());
    CHECK(oracle.folds[f].oracle_row == want["oracle_row"].get<std::string>());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      CAPTURE(rows[i].row);
      CHECK(oracle.folds[f].ratios[i] == Approx(want["ratios"][rows[i].row].get<double>()).epsilon(1e-12));
    }
  }
  CHECK(oracle.oracle_row == ref["folds"][0]["oracle_row"].get<std::string>());
  CHECK(oracle.folds_agree == (ref["folds"][0]["oracle_row"] == ref["folds"][1]["oracle_row"]));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CAPTURE(rows[i].row);
    const stats::BootstrapCi& ci = oracle.vs_best[i];
    CHECK(ci.estimate == Approx(ref["crossfit_ratio"][rows[i].row].get<double>()).epsilon(1e-12));
    CHECK(ci.lo <= ci.estimate);
    CHECK(ci.hi >= ci.estimate);
  }
  // The adaptive row is 4.6 % slower by construction: clearly distinguishable; the best static is not.
  const auto& ind = oracle.indistinguishable;
  CHECK(std::find(ind.begin(), ind.end(), "sampled_hist_s8") == ind.end());
  CHECK(std::find(ind.begin(), ind.end(), "static_chunk_256") == ind.end());
  CHECK(std::find(ind.begin(), ind.end(), oracle.oracle_row) != ind.end());
}

TEST_CASE("min-of-means oracle and its preconditions", "[routed][oracle]") {
  const Json ref = reference();
  const std::vector<RoundSamples> rows = rows_of(ref);
  const auto statics = ref["static_rows"].get<std::vector<std::string>>();
  const StaticOracle oracle = choose_static_oracle(rows, statics, "min-of-means", quick());
  CHECK(oracle.oracle_row == ref["min_of_means_row"].get<std::string>());
  CHECK(oracle.folds.empty());
  CHECK_THROWS_AS(choose_static_oracle(rows, {}, "heldout", quick()), Error);
  CHECK_THROWS_AS(choose_static_oracle({{"static_chunk_128", {1.0}}}, {"static_chunk_128"}, "heldout", quick()), Error);
  CHECK_THROWS_AS(choose_static_oracle(rows, statics, "best", quick()), Error);
}
