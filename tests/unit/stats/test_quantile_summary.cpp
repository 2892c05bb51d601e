#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "catch.hpp"
#include "reference_fixture.hpp"
#include "stats/quantile.hpp"
#include "stats/summary.hpp"

using namespace corey::stats;

TEST_CASE("type 7 quantiles equal numpy's bit for bit", "[stats][quantile]") {
  for (const auto& [name, ref] : stats_reference().at("summaries").items()) {
    INFO(name);
    const auto sorted = sorted_copy(as_vector(ref.at("x")));
    for (const auto& [p_text, expected] : ref.at("quantiles").items()) {
      INFO("p = " << p_text);
      const double p = std::stod(p_text);
      CHECK(quantile_sorted(sorted, p) == expected.get<double>());
    }
  }
}

TEST_CASE("quantile follows the type 7 formula on a hand example", "[stats][quantile]") {
  // x = 1, 2, 4, 8: h = 3p. p = 0.5 → h = 1.5 → 2 + 0.5·(4 − 2) = 3; p = 0.25 → h = 0.75 → 1.75.
  const std::vector<double> x = {1, 2, 4, 8};
  CHECK(quantile_sorted(x, 0.5) == 3.0);
  CHECK(quantile_sorted(x, 0.25) == 1.75);
  CHECK(quantile_sorted(x, 0.0) == 1.0);
  CHECK(quantile_sorted(x, 1.0) == 8.0);
  CHECK_THROWS_AS(quantile_sorted(std::vector<double>{}, 0.5), std::invalid_argument);
  CHECK_THROWS_AS(quantile_sorted(x, 1.5), std::invalid_argument);
  CHECK_THROWS_AS(quantile_sorted(x, std::nan("")), std::invalid_argument);
}

TEST_CASE("median_inplace equals the sorted median exactly", "[stats][quantile]") {
  for (const auto& [name, ref] : stats_reference().at("summaries").items()) {
    INFO(name);
    auto x = as_vector(ref.at("x"));
    const double sorted_median = median_sorted(sorted_copy(x));
    CHECK(median_inplace(x) == sorted_median);
    CHECK(sorted_median == Approx(ref.at("np_median").get<double>()).epsilon(1e-15));
  }
}

TEST_CASE("summarize matches numpy", "[stats][summary]") {
  for (const auto& [name, ref] : stats_reference().at("summaries").items()) {
    INFO(name);
    const auto x = as_vector(ref.at("x"));
    const Summary s = summarize(x);
    const auto& q = ref.at("quantiles");
    CHECK(s.n == ref.at("n").get<std::size_t>());
    CHECK(s.median == ref.at("median").get<double>());
    CHECK(s.q1 == q.at("0.25").get<double>());
    CHECK(s.q3 == q.at("0.75").get<double>());
    CHECK(s.p05 == q.at("0.05").get<double>());
    CHECK(s.p95 == q.at("0.95").get<double>());
    CHECK(s.min == ref.at("min").get<double>());
    CHECK(s.max == ref.at("max").get<double>());
    CHECK(s.iqr == s.q3 - s.q1);
    // numpy sums pairwise; the summation order differs, so agreement is to rounding.
    const double mean = ref.at("mean").get<double>();
    CHECK(s.mean == Approx(mean).epsilon(1e-13).margin(1e-15));
    if (ref.at("stdev").is_null()) {
      CHECK(std::isnan(s.stdev));
    } else {
      const double stdev = ref.at("stdev").get<double>();
      CHECK(s.stdev == Approx(stdev).epsilon(1e-10).margin(1e-18));
      if (mean != 0) CHECK(s.cv == Approx(stdev / mean).epsilon(1e-10).margin(1e-15));
    }
  }
}

TEST_CASE("summary JSON has the time_s keys in order and no NaN", "[stats][summary]") {
  const std::vector<double> one = {2.0};
  const auto j = summarize(one).to_json();
  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  CHECK(keys == std::vector<std::string>{"median", "mean", "stdev", "cv", "q1", "q3", "iqr", "rel_iqr", "min", "max",
                                         "p05", "p95"});
  CHECK(j.at("stdev").is_null());  // undefined for n = 1
  CHECK(j.at("cv").is_null());
  CHECK(j.at("median").get<double>() == 2.0);
  CHECK(j.at("rel_iqr").get<double>() == 0.0);

  const std::vector<double> zeros = {0.0, 0.0, 0.0};
  const auto z = summarize(zeros).to_json();
  CHECK(z.at("cv").is_null());       // 0 / 0
  CHECK(z.at("rel_iqr").is_null());  // 0 / 0
  CHECK(z.dump().find("NaN") == std::string::npos);
  CHECK_THROWS_AS(summarize(std::vector<double>{}), std::invalid_argument);
}
