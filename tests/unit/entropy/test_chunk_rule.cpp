#include <cmath>
#include <fstream>
#include <string>

#include "catch.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "entropy/chunk_rule.hpp"

using namespace corey;
using namespace corey::entropy;

namespace {
const double kLn256 = std::log(256.0);
}

TEST_CASE("the rule reproduces PAPER.md's worked examples", "[rule]") {
  // PAPER.md §2.3 worked examples, range 32–512.
  CHECK(choose_chunk(4.6043, {8.0, 32, 512, Rounding::round}) == 256);
  CHECK(choose_chunk(4.6043, {8.0, 32, 512, Rounding::floor}) == 256);
  CHECK(choose_chunk(4.6043, {kLn256, 32, 512, Rounding::round}) == 512);
  CHECK(choose_chunk(4.6043, {kLn256, 32, 512, Rounding::floor}) == 256);
  CHECK(choose_chunk(4.18, {kLn256, 32, 512, Rounding::round}) == 512);
  CHECK(choose_chunk(4.02, {kLn256, 32, 512, Rounding::floor}) == 256);
  // no_entropy_mid rows of §2.4: H = 0.5·ln K.
  CHECK(choose_chunk(0.5 * kLn256, {kLn256, 128, 2048, Rounding::round}) == 1024);
  CHECK(choose_chunk(0.5 * kLn256, {kLn256, 128, 1024, Rounding::round}) == 512);
  CHECK(choose_chunk(0.5 * kLn256, {kLn256, 128, 512, Rounding::round}) == 256);
  // Floor picks C_max only at H >= H_ref.
  CHECK(choose_chunk(kLn256, {kLn256, 32, 512, Rounding::floor}) == 512);
}

TEST_CASE("the rule's decision thresholds match PAPER.md's table", "[rule]") {
  struct Row {
    double h_ref;
    std::int64_t c_min, c_max;
    Rounding rounding;
    std::vector<double> boundaries;  // H at which the chunk doubles
  };
  const std::vector<Row> rows = {
      {8.0, 32, 512, Rounding::round, {0.221, 0.975, 2.484, 5.501}},
      {kLn256, 32, 512, Rounding::round, {0.153, 0.676, 1.722, 3.813}},
      {8.0, 32, 512, Rounding::floor, {0.533, 1.6, 3.733, 8.0}},
      {kLn256, 32, 512, Rounding::floor, {0.370, 1.109, 2.588, 5.545}},
      {kLn256, 128, 2048, Rounding::round, {0.153, 0.676, 1.722, 3.813}},
      {kLn256, 128, 1024, Rounding::round, {0.328, 1.448, 3.689}},
      {kLn256, 128, 512, Rounding::round, {0.766, 3.380}},
  };
  for (const Row& row : rows) {
    const ChunkRule rule{row.h_ref, row.c_min, row.c_max, row.rounding};
    std::int64_t expected = row.c_min;
    for (double b : row.boundaries) {
      CAPTURE(row.h_ref, row.c_min, row.c_max, b);
      CHECK(choose_chunk(b - 0.002, rule) == expected);
      expected *= 2;
      CHECK(choose_chunk(b + 0.002, rule) == expected);
    }
  }
}

TEST_CASE("the rule agrees with Python's round() and math.floor on a grid", "[rule]") {
  std::ifstream in(std::string(COREY_TEST_DATA_DIR) + "/entropy/chunk_rule_reference.json");
  REQUIRE(in.good());
  const Json reference = Json::parse(in);
  REQUIRE(reference["cases"].size() > 500);
  for (const Json& c : reference["cases"]) {
    const ChunkRule rule{c[1].get<double>(), c[2].get<std::int64_t>(), c[3].get<std::int64_t>(),
                         rounding_from_string(c[4].get<std::string>())};
    CAPTURE(c.dump());
    CHECK(choose_chunk(c[0].get<double>(), rule) == c[5].get<std::int64_t>());
  }
}

TEST_CASE("round is half-to-even in the log2 domain", "[rule]") {
  // raw = 2^2.5 exactly cannot occur (irrational), so test the rounding primitive the rule relies on.
  CHECK(std::nearbyint(2.5) == 2.0);
  CHECK(std::nearbyint(3.5) == 4.0);
  // raw = c·√2 is the boundary between c and 2c: just below picks c, just above 2c.
  const ChunkRule rule{1.0, 1, 1 << 20, Rounding::round};
  const double boundary_r = (64 * std::sqrt(2.0) - 1) / ((1 << 20) - 1);
  CHECK(choose_chunk(boundary_r * (1 - 1e-9), rule) == 64);
  CHECK(choose_chunk(boundary_r * (1 + 1e-9), rule) == 128);
}

TEST_CASE("bad rules are rejected", "[rule]") {
  CHECK_THROWS_AS(choose_chunk(1.0, {8.0, 0, 512, Rounding::round}), Error);
  CHECK_THROWS_AS(choose_chunk(1.0, {8.0, 64, 32, Rounding::round}), Error);
  CHECK_THROWS_AS(choose_chunk(NAN, {8.0, 32, 512, Rounding::round}), Error);
  CHECK(choose_chunk(3.0, {0.0, 32, 512, Rounding::round}) == 32);  // H_ref <= 0 gives r = 0
  CHECK_THROWS_AS(rounding_from_string("ceil"), Error);
}
