#include <stdexcept>
#include <string>
#include <vector>

#include "catch.hpp"
#include "reference_fixture.hpp"
#include "stats/median_ci.hpp"
#include "stats/time_stats.hpp"

using namespace corey::stats;

namespace {

struct PublishedRow {
  int n;
  int k95;
  int k99;  // 0: no 99 % interval exists
};

// K. R. Nair (1940), table of confidence intervals for the median in samples from any continuous
// population (Sankhyā 4), as reprinted in Dixon & Massey, "Introduction to Statistical Analysis" (1969);
// transcribed from the reprint "Table 5. Confidence limits for the median" on Wikisource
// (Page:Sm_all_cc.pdf/38). The interval is [x_(k), x_(n−k+1)] with coverage ≥ 95 % resp. ≥ 99 %.
constexpr PublishedRow nair_table[] = {
    {6, 1, 0},    {7, 1, 0},    {8, 1, 1},    {9, 2, 1},    {10, 2, 1},   {11, 2, 1},   {12, 3, 2},   {13, 3, 2},
    {14, 3, 2},   {15, 4, 3},   {16, 4, 3},   {17, 5, 3},   {18, 5, 4},   {19, 5, 4},   {20, 6, 4},   {21, 6, 5},
    {22, 6, 5},   {23, 7, 5},   {24, 7, 6},   {25, 8, 6},   {26, 8, 7},   {27, 8, 7},   {28, 9, 7},   {29, 9, 8},
    {30, 10, 8},  {31, 10, 8},  {32, 10, 9},  {33, 11, 9},  {34, 11, 10}, {35, 12, 10}, {36, 12, 10}, {37, 13, 11},
    {38, 13, 11}, {39, 13, 12}, {40, 14, 12}, {41, 14, 12}, {42, 15, 13}, {43, 15, 13}, {44, 16, 14}, {45, 16, 14},
    {46, 16, 14}, {47, 17, 15}, {48, 17, 15}, {49, 18, 16}, {50, 18, 16}, {51, 19, 16}, {52, 19, 17}, {53, 19, 17},
    {54, 20, 18}, {55, 20, 18}, {56, 21, 18}, {57, 21, 19}, {58, 22, 19}, {59, 22, 20}, {60, 22, 20}, {61, 23, 21},
    {62, 23, 21}, {63, 24, 21}, {64, 24, 22}, {65, 25, 22},
};

}  // namespace

TEST_CASE("median CI ranks match the published table for n = 6…65", "[stats][median_ci]") {
  for (const auto& row : nair_table) {
    INFO("n = " << row.n);
    const auto r95 = median_ci_ranks(row.n, 0.95);
    REQUIRE(r95);
    CHECK(r95->lo_rank == static_cast<std::size_t>(row.k95));
    CHECK(r95->hi_rank == static_cast<std::size_t>(row.n - row.k95 + 1));
    CHECK(r95->coverage >= 0.95);
    const auto r99 = median_ci_ranks(row.n, 0.99);
    if (row.k99 == 0) {
      CHECK_FALSE(r99);
    } else {
      REQUIRE(r99);
      CHECK(r99->lo_rank == static_cast<std::size_t>(row.k99));
      CHECK(r99->coverage >= 0.99);
    }
  }
}

TEST_CASE("median CI ranks and coverage match exact binomial sums for n = 1…100 and large n", "[stats][median_ci]") {
  for (const auto& [level_text, by_n] : stats_reference().at("median_ci_ranks").items()) {
    const double level = std::stod(level_text);
    for (const auto& [n_text, expected] : by_n.items()) {
      INFO("level " << level_text << ", n = " << n_text);
      const auto ranks = median_ci_ranks(std::stoul(n_text), level);
      if (expected.is_null()) {
        CHECK_FALSE(ranks);
        continue;
      }
      REQUIRE(ranks);
      CHECK(ranks->lo_rank == expected.at("lo").get<std::size_t>());
      CHECK(ranks->hi_rank == expected.at("hi").get<std::size_t>());
      CHECK(ranks->coverage == Approx(expected.at("coverage").get<double>()).epsilon(1e-12));
    }
  }
}

TEST_CASE("median CI picks the order statistics and reports n_too_small", "[stats][median_ci]") {
  // n = 9 at 95 %: ranks 2 and 8 (published table above).
  const std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const MedianCi ci = median_ci_sorted(x, 0.95);
  REQUIRE(ci.exists());
  CHECK(ci.lo == 2.0);
  CHECK(ci.hi == 8.0);
  CHECK(ci.rel_halfwidth(5.0) == Approx(0.6));
  const auto j = ci.to_json();
  CHECK(j.at("stat") == "median");
  CHECK(j.at("method") == "order_statistic");
  CHECK(j.at("level").get<double>() == 0.95);
  CHECK(j.at("lo").get<double>() == 2.0);
  CHECK(j.at("rank_hi").get<int>() == 8);
  CHECK(j.at("coverage").get<double>() == Approx(1.0 - 2.0 * 10.0 / 512.0));

  const std::vector<double> five = {1, 2, 3, 4, 5};
  const MedianCi none = median_ci_sorted(five, 0.95);
  CHECK_FALSE(none.exists());
  const auto jn = none.to_json();
  CHECK(jn.at("lo").is_null());
  CHECK(jn.at("hi").is_null());
  CHECK(jn.at("reason") == "n_too_small");
  CHECK_FALSE(median_ci_ranks(0, 0.95));
  CHECK_THROWS_AS(median_ci_ranks(10, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(median_ci_ranks(10, 0.0), std::invalid_argument);
}

TEST_CASE("time_s block combines the summary and the median CI", "[stats][median_ci]") {
  const std::vector<double> x = {5, 1, 4, 2, 3, 9, 8, 7, 6};
  const auto j = time_stats_json(x, 0.95);
  CHECK(j.at("median").get<double>() == 5.0);
  CHECK(j.at("ci").at("lo").get<double>() == 2.0);
  CHECK(j.at("ci").at("hi").get<double>() == 8.0);
  CHECK(j.back().is_object());  // "ci" is the last key, as in HARNESS.md §3.3
}
