#include <stdexcept>
#include <vector>

#include "catch.hpp"
#include "reference_fixture.hpp"
#include "stats/mann_whitney.hpp"

using namespace corey::stats;

TEST_CASE("Mann-Whitney U and p match the reference script", "[stats][mann_whitney]") {
  for (const auto& [name, ref] : stats_reference().at("mann_whitney").items()) {
    INFO(name);
    const auto a = as_vector(ref.at("a"));
    const auto b = as_vector(ref.at("b"));
    const MannWhitney r = mann_whitney_u(a, b);
    CHECK(r.u == ref.at("u").get<double>());
    CHECK(r.z == Approx(ref.at("z").get<double>()).epsilon(1e-12));
    CHECK(r.p_value == Approx(ref.at("p").get<double>()).epsilon(1e-10));
    CHECK(r.small_sample() == (a.size() < 9 || b.size() < 9));
  }
}

TEST_CASE("Mann-Whitney is symmetric and flags small samples", "[stats][mann_whitney]") {
  const std::vector<double> a = {1.0, 2.5, 3.0, 4.0, 9.0};
  const std::vector<double> b = {2.0, 3.0, 5.0, 6.0, 7.0, 8.0};
  const MannWhitney ab = mann_whitney_u(a, b);
  const MannWhitney ba = mann_whitney_u(b, a);
  CHECK(ab.u + ba.u == 30.0);  // U_a + U_b = n_a·n_b
  CHECK(ab.p_value == Approx(ba.p_value));
  CHECK(ab.small_sample());
  const auto j = ab.to_json();
  CHECK(j.at("method") == "normal_approx_tie_corrected");
  CHECK(j.contains("warning"));
  CHECK_THROWS_AS(mann_whitney_u(std::vector<double>{}, b), std::invalid_argument);
}
