#include <cmath>
#include <fstream>
#include <limits>

#include "spec_test_support.hpp"

using namespace corey::spec;
using namespace corey::spec::test;
using corey::Json;

TEST_CASE("canonical JSON and point ids match Python's json + hashlib", "[spec][canonical]") {
  std::ifstream in(data_path("specs/reference_hashes.json"));
  REQUIRE(in);
  const Json reference = Json::parse(in);
  for (const auto& expected : reference["points"]) {
    const std::string experiment = expected["experiment"].get<std::string>();
    Json identity = Json::object();
    identity["experiment"] = experiment;
    identity["params"] = expected["params"];
    INFO(expected["canonical"].get<std::string>());
    CHECK(canonical_json(identity) == expected["canonical"].get<std::string>());
    CHECK(point_id(experiment, expected["params"]) == expected["point_id"].get<std::string>());
  }
}

TEST_CASE("canonical JSON details", "[spec][canonical]") {
  CHECK(canonical_json(Json::parse(R"({"b": 1, "a": [true, null, "x"]})")) == R"({"a":[true,null,"x"],"b":1})");
  CHECK(canonical_json(Json(8.0)) == "8.0");  // a float stays a float
  CHECK(canonical_json(Json(8)) == "8");
  CHECK(canonical_json(Json(0.1 + 0.2)) == "0.30000000000000004");
  CHECK(canonical_json(Json(-0.125)) == "-0.125");
  CHECK(canonical_json(Json(1e-7)) == "1e-07");
  CHECK(canonical_json(Json(std::string("a\x01z"))) == R"("a\u0001z")");
  CHECK(canonical_json(Json(std::uint64_t{18446744073709551615u})) == "18446744073709551615");
  const corey::Error nan = error_of([] { canonical_json(Json(std::nan(""))); });
  CHECK(contains(nan.message(), "non-finite"));
  CHECK(point_id("kernel-sweep", Json{{"a", 1}, {"b", 2}}) == point_id("kernel-sweep", Json{{"b", 2}, {"a", 1}}));
  CHECK(point_id("kernel-sweep", Json{{"a", 1}}) != point_id("costmodel", Json{{"a", 1}}));
}
