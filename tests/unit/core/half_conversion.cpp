#include <bit>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>

#include "catch.hpp"
#include "core/error.hpp"
#include "core/half.hpp"
#include "core/json.hpp"

using namespace corey;

TEST_CASE("fp16 widening is exact for every bit pattern", "[half]") {
  for (std::uint32_t bits = 0; bits < 0x10000; ++bits) {
    const auto h = static_cast<std::uint16_t>(bits);
    const float f = fp16_to_fp32(h);
    const int sign = (bits >> 15) ? -1 : 1;
    const int exponent = static_cast<int>((bits >> 10) & 0x1f);
    const int mantissa = static_cast<int>(bits & 0x3ff);
    if (exponent == 0x1f) {
      if (mantissa == 0) {
        CHECK(std::isinf(f));
      } else {
        CHECK(std::isnan(f));
      }
      continue;
    }
    // IEEE 754 binary16 by definition.
    const double want =
        exponent == 0 ? sign * std::ldexp(mantissa, -24) : sign * std::ldexp(1024 + mantissa, exponent - 25);
    REQUIRE(static_cast<double>(f) == want);
    REQUIRE(std::signbit(f) == (sign < 0));
    REQUIRE(fp32_to_fp16(f) == h);  // and narrowing an fp16 value is the identity
  }
}

TEST_CASE("fp32 narrowing rounds to nearest even like numpy (fp16) and exact arithmetic (bf16)", "[half]") {
  std::ifstream in(std::string(COREY_TEST_DATA_DIR) + "/scan/half_reference.json");
  REQUIRE(in.good());
  const Json ref = Json::parse(in);
  const auto& f32 = ref["f32_bits"];
  REQUIRE(f32.size() > 600);
  for (std::size_t i = 0; i < f32.size(); ++i) {
    const float value = std::bit_cast<float>(f32[i].get<std::uint32_t>());
    CAPTURE(value);
    CHECK(fp32_to_fp16(value) == ref["f16_bits"][i].get<std::uint16_t>());
    CHECK(fp32_to_bf16(value) == ref["bf16_bits"][i].get<std::uint16_t>());
  }
}

TEST_CASE("bf16 widening, NaN and dtype names", "[half]") {
  CHECK(bf16_to_fp32(0x3f80) == 1.0f);
  CHECK(bf16_to_fp32(0xc040) == -3.0f);
  CHECK(std::isnan(bf16_to_fp32(fp32_to_bf16(NAN))));
  CHECK(std::isnan(fp16_to_fp32(fp32_to_fp16(NAN))));
  CHECK(dtype_from_string("bfloat16") == DType::bf16);
  CHECK(to_string(DType::f16) == "fp16");
  CHECK(dtype_bytes(DType::f64) == 8);
  CHECK_THROWS_AS(dtype_from_string("int8"), Error);
  std::uint16_t buffer[2] = {};
  store_from_f32(buffer, DType::bf16, 1, 1.0f);
  CHECK(buffer[1] == 0x3f80);
  CHECK(load_as_f32(buffer, DType::bf16, 1) == 1.0f);
}
