#include <cstdint>
#include <cstring>
#include <fstream>

#include "catch.hpp"
#include "core/json.hpp"
#include "core/python_format.hpp"

TEST_CASE("python_float_repr matches Python's repr() on the fixture written by Python") {
  std::ifstream in(std::string(COREY_TEST_DATA_DIR) + "/python_repr.json");
  REQUIRE(in);
  const auto fixture = corey::Json::parse(in);
  int checked = 0;
  for (const auto& item : fixture.at("cases")) {
    const auto bits = item.at(0).get<std::uint64_t>();
    double value;
    std::memcpy(&value, &bits, sizeof value);
    INFO("bits " << bits);
    CHECK(corey::python_float_repr(value) == item.at(1).get<std::string>());
    ++checked;
  }
  CHECK(checked > 200);
}
