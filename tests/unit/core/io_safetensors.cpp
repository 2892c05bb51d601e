#include <string>
#include <vector>

#include "catch.hpp"
#include "expect_error.hpp"
#include "core/error.hpp"
#include "core/npy.hpp"
#include "core/safetensors.hpp"

using namespace corey;
using namespace corey::core;

using corey::testing::expect_error;

namespace {
const std::string kDir = std::string(COREY_TEST_DATA_DIR) + "/analyze/";

}  // namespace

TEST_CASE("a safetensors file written by hand in Python is read", "[io]") {
  const SafetensorsFile file(kDir + "tensors.safetensors");
  REQUIRE(file.tensors().size() == 5);
  CHECK(file.tensors()[0].name == "u");
  CHECK(file.metadata()["writer"] == "tools/entropy_reference.py");
  const SafetensorInfo& u = file.tensor("u");
  CHECK(u.dtype == DType::f32);
  CHECK(u.shape == std::vector<std::int64_t>{1, 8, 64});
  const NpyArray npy = read_npy(kDir + "u_f32.npy");
  const std::vector<double> u_data = file.copy_aligned(u);
  const std::vector<double> half_data = file.copy_aligned(file.tensor("u_half"));
  for (std::int64_t i = 0; i < npy.numel(); ++i) {
    const float want = load_as_f32(npy.data(), DType::f32, i);
    REQUIRE(load_as_f32(u_data.data(), DType::f32, i) == want);
    REQUIRE(load_as_f32(half_data.data(), DType::f16, i) == fp16_to_fp32(fp32_to_fp16(want)));
  }
  const NpyArray bf_ref = read_npy(kDir + "u_bf16_as_f32.npy");
  const std::vector<double> bf = file.copy_aligned(file.tensor("u_bf16"));
  CHECK(file.tensor("u_bf16").dtype == DType::bf16);
  for (std::int64_t i = 0; i < bf_ref.numel(); ++i)
    REQUIRE(load_as_f32(bf.data(), DType::bf16, i) == load_as_f32(bf_ref.data(), DType::f32, i));
  CHECK(file.tensor("A_log").dtype == DType::f64);
  CHECK_FALSE(file.tensor("ids").dtype.has_value());
  expect_error([&] { file.copy_aligned(file.tensor("ids")); }, ErrorKind::usage, {"ids", "I64"});
  expect_error([&] { file.tensor("nope"); }, ErrorKind::usage, {"nope", "available: u, u_half"});
}

TEST_CASE("broken safetensors files give errors naming the file", "[io]") {
  expect_error([] { SafetensorsFile f(kDir + "st_truncated.safetensors"); }, ErrorKind::usage,
               {"st_truncated.safetensors", "past the"});
  expect_error([] { SafetensorsFile f(kDir + "st_overlap.safetensors"); }, ErrorKind::usage,
               {"st_overlap.safetensors", "'b'"});
  expect_error([] { SafetensorsFile f(kDir + "st_shape_mismatch.safetensors"); }, ErrorKind::usage,
               {"st_shape_mismatch.safetensors", "tensor 'a'", "shape needs 20 bytes"});
  expect_error([] { SafetensorsFile f(kDir + "st_huge_header.safetensors"); }, ErrorKind::usage,
               {"st_huge_header.safetensors", "100 MB"});
  expect_error([] { SafetensorsFile f(kDir + "st_bad_json.safetensors"); }, ErrorKind::usage,
               {"st_bad_json.safetensors", "JSON"});
  expect_error([] { SafetensorsFile f(kDir + "missing.safetensors"); }, ErrorKind::io, {"missing.safetensors"});
}
