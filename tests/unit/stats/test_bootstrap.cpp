#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <stdexcept>
#include <vector>

#include "catch.hpp"
#include "stats/bootstrap.hpp"
#include "stats/point_seed.hpp"
#include "stats/uniform_index.hpp"

using namespace corey::stats;

namespace {

// Replays fixed raw outputs, to drive uniform_index's rejection branch.
struct ScriptedEngine {
  using result_type = std::uint64_t;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }
  std::vector<result_type> outputs;
  std::size_t next = 0;
  result_type operator()() { return outputs.at(next++); }
};

// Test data from raw engine bits only (std::normal_distribution differs between libraries).
double unit_uniform(std::mt19937_64& engine) { return (static_cast<double>(engine() >> 11) + 0.5) * 0x1p-53; }
double standard_normal(std::mt19937_64& engine) {
  const double u1 = unit_uniform(engine);
  const double u2 = unit_uniform(engine);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace

TEST_CASE("std::mt19937_64 is the standard's engine", "[stats][bootstrap]") {
  // C++ standard [rand.predef]: the 10000th output of a default-constructed mt19937_64.
  std::mt19937_64 engine;
  engine.discard(9999);
  CHECK(engine() == 9981545732273789042ull);
}

TEST_CASE("uniform_index rejects raw values below 2^64 mod n", "[stats][bootstrap]") {
  const std::uint64_t two63 = std::uint64_t{1} << 63;
  // n = 2^63 + 1: 2^64 mod n = 2^63 − 1, so 0 and 2^63 − 2 are rejected and 2^63 − 1 is accepted.
  ScriptedEngine big{{0, two63 - 2, two63 - 1}};
  CHECK(uniform_index(big, two63 + 1) == two63 - 1);
  CHECK(big.next == 3);
  // n = 3: 2^64 ≡ 1 (mod 3); raw 0 is rejected, raw 1 maps to 1, raw 2^64 − 1 to (2^64 − 1) mod 3 = 0.
  ScriptedEngine three{{0, 1, ~std::uint64_t{0}}};
  CHECK(uniform_index(three, 3) == 1);
  CHECK(uniform_index(three, 3) == 0);
  // Powers of two never reject.
  ScriptedEngine pow2{{0, 13}};
  CHECK(uniform_index(pow2, 8) == 0);
  CHECK(uniform_index(pow2, 8) == 5);
  ScriptedEngine one{{12345}};
  CHECK(uniform_index(one, 1) == 0);
}

TEST_CASE("uniform_index is uniform", "[stats][bootstrap]") {
  // χ² of 7 cells over 20 seeds: each is χ²(6) (mean 6, sd √12), so their mean has sd ≈ 0.77.
  double chi2_sum = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    std::mt19937_64 engine(seed);
    std::vector<int> counts(7, 0);
    for (int i = 0; i < 7000; ++i) ++counts[uniform_index(engine, 7)];
    for (int c : counts) chi2_sum += (c - 1000.0) * (c - 1000.0) / 1000.0;
  }
  const double mean_chi2 = chi2_sum / 20.0;
  CHECK(mean_chi2 > 6.0 - 3 * 0.775);
  CHECK(mean_chi2 < 6.0 + 3 * 0.775);
}

TEST_CASE("point seed XORs the first 8 bytes of the point id", "[stats][bootstrap]") {
  // "a1b2c3d4": 0x61 0x31 0x62 0x32 0x63 0x33 0x64 0x34, byte 0 lowest.
  CHECK(point_seed(0, "a1b2c3d4e5f6") == 0x3464336332623161ull);
  CHECK(point_seed(0xffull, "a1b2c3d4e5f6") == (0x3464336332623161ull ^ 0xffull));
  CHECK(point_seed(7, "") == 7);
  CHECK(point_seed(0, "ab") == 0x6261ull);
}

TEST_CASE("bootstrap intervals are reproducible from the seed", "[stats][bootstrap]") {
  std::mt19937_64 data(1);
  std::vector<double> x(60);
  std::vector<double> y(60);
  for (auto& v : x) v = 1e-3 * (1.0 + 0.05 * standard_normal(data));
  for (auto& v : y) v = 1.1e-3 * (1.0 + 0.05 * standard_normal(data));

  const BootstrapConfig config{0.95, 2000, 1234};
  const auto a = bootstrap_mean_ci(x, config);
  const auto b = bootstrap_mean_ci(x, config);
  CHECK(a.lo == b.lo);
  CHECK(a.hi == b.hi);
  const auto c = bootstrap_mean_ci(x, BootstrapConfig{0.95, 2000, 1235});
  CHECK((c.lo != a.lo || c.hi != a.hi));
  CHECK(a.lo < a.estimate);
  CHECK(a.estimate < a.hi);

  for (Pairing pairing : {Pairing::paired, Pairing::unpaired}) {
    const auto r1 = bootstrap_median_ratio_ci(y, x, pairing, config);
    const auto r2 = bootstrap_median_ratio_ci(y, x, pairing, config);
    CHECK(r1.lo == r2.lo);
    CHECK(r1.hi == r2.hi);
    CHECK(r1.lo <= r1.estimate);
    CHECK(r1.estimate <= r1.hi);
  }

  const auto j = a.to_json();
  CHECK(j.at("stat") == "mean");
  CHECK(j.at("method") == "percentile_bootstrap");
  CHECK(j.at("level").get<double>() == 0.95);
  CHECK(j.at("resamples").get<int>() == 2000);
  CHECK(j.at("seed") == "0x00000000000004d2");
  CHECK_FALSE(j.contains("pairing"));
  CHECK(bootstrap_median_ratio_ci(y, x, Pairing::paired, config).to_json().at("pairing") == "paired");
  CHECK(BootstrapConfig{}.resamples == 10000);
}

TEST_CASE("bootstrap mean CI agrees with the normal-theory interval", "[stats][bootstrap]") {
  std::mt19937_64 data(7);
  std::vector<double> x(400);
  for (auto& v : x) v = 10.0 + 2.0 * standard_normal(data);
  double mean = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  double ss = 0;
  for (double v : x) ss += (v - mean) * (v - mean);
  const double se = std::sqrt(ss / static_cast<double>(x.size() - 1) / static_cast<double>(x.size()));
  const auto ci = bootstrap_mean_ci(x, BootstrapConfig{0.95, 4000, 99});
  CHECK(ci.estimate == Approx(mean).epsilon(1e-12));
  // Half-widths within 10 % of 1.96·SE; centred on the mean within 0.1·SE.
  CHECK((ci.hi - ci.lo) / 2.0 == Approx(1.959964 * se).epsilon(0.1));
  CHECK((ci.hi + ci.lo) / 2.0 == Approx(mean).margin(0.1 * se));
}

TEST_CASE("bootstrap coverage is close to nominal", "[stats][bootstrap]") {
  std::mt19937_64 data(2024);
  const int trials = 300;
  int covered = 0;
  std::vector<double> x(40);
  for (int t = 0; t < trials; ++t) {
    for (auto& v : x) v = 1.0 + 0.1 * standard_normal(data);
    const auto ci = bootstrap_mean_ci(x, BootstrapConfig{0.95, 1000, static_cast<std::uint64_t>(t)});
    covered += (ci.lo <= 1.0 && 1.0 <= ci.hi) ? 1 : 0;
  }
  // The percentile bootstrap undercovers slightly at n = 40; binomial SE of the rate is ≈ 0.013.
  const double rate = covered / static_cast<double>(trials);
  CHECK(rate > 0.88);
  CHECK(rate < 0.99);
}

TEST_CASE("paired ratio CI removes the round effect, unpaired does not", "[stats][bootstrap]") {
  // Rounds share a drift factor; the true ratio of medians is exactly 1.1.
  std::mt19937_64 data(5);
  const int trials = 60;
  int paired_covered = 0;
  int unpaired_covered = 0;
  double paired_width = 0;
  double unpaired_width = 0;
  std::vector<double> num(30);
  std::vector<double> den(30);
  for (int t = 0; t < trials; ++t) {
    for (std::size_t r = 0; r < num.size(); ++r) {
      const double drift = std::exp(0.2 * standard_normal(data));
      num[r] = 1.1 * drift * (1.0 + 0.01 * standard_normal(data));
      den[r] = drift * (1.0 + 0.01 * standard_normal(data));
    }
    const BootstrapConfig config{0.95, 1000, static_cast<std::uint64_t>(t)};
    const auto paired = bootstrap_median_ratio_ci(num, den, Pairing::paired, config);
    const auto unpaired = bootstrap_median_ratio_ci(num, den, Pairing::unpaired, config);
    paired_covered += (paired.lo <= 1.1 && 1.1 <= paired.hi) ? 1 : 0;
    unpaired_covered += (unpaired.lo <= 1.1 && 1.1 <= unpaired.hi) ? 1 : 0;
    paired_width += paired.hi - paired.lo;
    unpaired_width += unpaired.hi - unpaired.lo;
  }
  CHECK(paired_covered >= 50);
  CHECK(unpaired_covered >= 50);
  CHECK(paired_width * 5.0 < unpaired_width);
}

TEST_CASE("ratio of exactly proportional paired rounds is exact", "[stats][bootstrap]") {
  const std::vector<double> den = {1.0, 3.0, 2.0, 7.0, 5.0, 4.0};
  std::vector<double> num;
  for (double d : den) num.push_back(2.0 * d);
  const auto ci = bootstrap_median_ratio_ci(num, den, Pairing::paired, BootstrapConfig{0.95, 500, 3});
  CHECK(ci.estimate == 2.0);
  CHECK(ci.lo == 2.0);
  CHECK(ci.hi == 2.0);
}

TEST_CASE("bootstrap rejects bad input and reports non-finite ratios", "[stats][bootstrap]") {
  const std::vector<double> x = {1.0, 2.0};
  const std::vector<double> three = {1.0, 2.0, 3.0};
  const std::vector<double> empty;
  CHECK_THROWS_AS(bootstrap_mean_ci(empty, {}), std::invalid_argument);
  CHECK_THROWS_AS(bootstrap_mean_ci(x, BootstrapConfig{1.0, 10, 0}), std::invalid_argument);
  CHECK_THROWS_AS(bootstrap_mean_ci(x, BootstrapConfig{0.95, 0, 0}), std::invalid_argument);
  CHECK_THROWS_AS(bootstrap_median_ratio_ci(x, three, Pairing::paired, {}), std::invalid_argument);
  CHECK_NOTHROW(bootstrap_median_ratio_ci(x, three, Pairing::unpaired, BootstrapConfig{0.95, 10, 0}));

  const std::vector<double> zeros = {0.0, 0.0, 0.0};
  const auto ci = bootstrap_median_ratio_ci(three, zeros, Pairing::unpaired, BootstrapConfig{0.95, 50, 1});
  CHECK_FALSE(ci.finite());
  const auto j = ci.to_json();
  CHECK(j.at("estimate").is_null());
  CHECK(j.at("reason") == "non_finite");
}
