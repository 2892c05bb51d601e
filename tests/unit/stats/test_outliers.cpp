#include <cmath>
#include <vector>

#include "catch.hpp"
#include "reference_fixture.hpp"
#include "stats/outliers.hpp"

using namespace corey::stats;

TEST_CASE("Tukey classes on a hand-built vector", "[stats][outliers]") {
  // Sorted: -100 0 1 4 5 5 5 6 6 6 10 12 12.5 (n = 13): type 7 q1 = x[3] = 4, q3 = x[9] = 6, IQR = 2.
  // Fences: mild below 1 / above 9, severe below -2 / above 12 (strict). 1 and 12 sit on fences.
  const std::vector<double> x = {12.5, 5, -100, 6, 0, 5, 10, 1, 6, 4, 12, 5, 6};
  const Outliers o = find_outliers(x);
  CHECK(o.low_severe == 1);   // -100
  CHECK(o.low_mild == 1);     // 0
  CHECK(o.high_mild == 2);    // 10, 12
  CHECK(o.high_severe == 1);  // 12.5
  // median 5; |x − 5| sorted: 0 0 0 1 1 1 1 4 5 5 7 7.5 105 → MAD = 1.
  CHECK(o.max_mad_z == Approx(105.0 / 1.4826));
  CHECK_FALSE(o.first_sample_slow);  // 7.5 / 1.4826 ≈ 5.06
}

TEST_CASE("first_sample_slow uses the signed MAD-z of sample 0", "[stats][outliers]") {
  // median 5, MAD 1 (deviations 0 0 0 0 1 1 1 1 and the first one); threshold 10 ⇔ x₀ − 5 > 14.826.
  auto with_first = [](double first) { return std::vector<double>{first, 5, 5, 6, 4, 5, 6, 4, 5}; };
  CHECK_FALSE(find_outliers(with_first(19.8)).first_sample_slow);
  CHECK(find_outliers(with_first(19.9)).first_sample_slow);
  CHECK_FALSE(find_outliers(with_first(-30.0)).first_sample_slow);  // fast, not slow
  CHECK(find_outliers(with_first(-30.0)).max_mad_z == Approx(35.0 / 1.4826));
}

TEST_CASE("MAD of zero", "[stats][outliers]") {
  const Outliers same = find_outliers(std::vector<double>{3, 3, 3, 3});
  CHECK(same.max_mad_z == 0.0);
  CHECK_FALSE(same.first_sample_slow);
  CHECK(same.to_json().at("max_mad_z").get<double>() == 0.0);

  const Outliers spike_last = find_outliers(std::vector<double>{5, 5, 5, 5, 9});
  CHECK(std::isinf(spike_last.max_mad_z));
  CHECK_FALSE(spike_last.first_sample_slow);
  const auto j = spike_last.to_json();
  CHECK(j.at("max_mad_z").is_null());
  CHECK(j.at("reason") == "mad_zero");

  CHECK(find_outliers(std::vector<double>{9, 5, 5, 5, 5}).first_sample_slow);
}

TEST_CASE("outlier counts and MAD-z match numpy on the fixture vectors", "[stats][outliers]") {
  for (const auto& [name, ref] : stats_reference().at("summaries").items()) {
    INFO(name);
    const Outliers o = find_outliers(as_vector(ref.at("x")));
    const auto& tukey = ref.at("tukey");
    CHECK(o.low_mild == tukey.at("low_mild").get<std::size_t>());
    CHECK(o.low_severe == tukey.at("low_severe").get<std::size_t>());
    CHECK(o.high_mild == tukey.at("high_mild").get<std::size_t>());
    CHECK(o.high_severe == tukey.at("high_severe").get<std::size_t>());
    if (ref.at("max_mad_z").is_null()) {
      CHECK((o.max_mad_z == 0.0 || std::isinf(o.max_mad_z)));
    } else {
      CHECK(o.max_mad_z == Approx(ref.at("max_mad_z").get<double>()).epsilon(1e-12));
      CHECK(o.first_sample_slow == (ref.at("first_mad_z").get<double>() > 10.0));
    }
  }
}

TEST_CASE("outliers JSON has the record's keys", "[stats][outliers]") {
  const auto j = find_outliers(std::vector<double>{1, 2, 3, 4, 100}).to_json();
  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  CHECK(keys == std::vector<std::string>{"low_mild", "low_severe", "high_mild", "high_severe", "max_mad_z",
                                         "first_sample_slow"});
}
