#include <filesystem>
#include <string>
#include <vector>

#include "catch.hpp"
#include "expect_error.hpp"
#include "core/error.hpp"
#include "core/npy.hpp"

using namespace corey;
using namespace corey::core;

using corey::testing::expect_error;

namespace {
const std::string kDir = std::string(COREY_TEST_DATA_DIR) + "/analyze/";

}  // namespace

TEST_CASE("npy files written by numpy are read in every float dtype", "[io]") {
  const NpyArray f32 = read_npy(kDir + "u_f32.npy");
  CHECK(f32.dtype == DType::f32);
  CHECK(f32.shape == std::vector<std::int64_t>{1, 8, 64});
  const NpyArray f16 = read_npy(kDir + "u_f16.npy");
  const NpyArray f64 = read_npy(kDir + "u_f64.npy");
  CHECK(f16.dtype == DType::f16);
  CHECK(f64.dtype == DType::f64);
  for (std::int64_t i = 0; i < f32.numel(); ++i) {
    const float v = load_as_f32(f32.data(), DType::f32, i);
    REQUIRE(load_as_f64(f64.data(), DType::f64, i) == static_cast<double>(v));  // numpy's astype(float64)
    REQUIRE(load_as_f32(f16.data(), DType::f16, i) == fp16_to_fp32(fp32_to_fp16(v)));
  }
  CHECK(read_npy(kDir + "u_2d.npy").shape == std::vector<std::int64_t>{8, 64});
}

TEST_CASE("npy round trip through write_npy", "[io]") {
  const auto path = std::filesystem::temp_directory_path() / "corey_io_npy_roundtrip.npy";
  const std::vector<float> data = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, -0.5f};
  write_npy(path.string(), DType::f32, {2, 3}, data.data());
  const NpyArray back = read_npy(path.string());
  CHECK(back.shape == std::vector<std::int64_t>{2, 3});
  for (int i = 0; i < 6; ++i) CHECK(load_as_f32(back.data(), DType::f32, i) == data[static_cast<std::size_t>(i)]);
  std::filesystem::remove(path);
}

TEST_CASE("bad npy files give errors naming the file", "[io]") {
  expect_error([] { read_npy(kDir + "truncated.npy"); }, ErrorKind::usage, {"truncated.npy", "truncated"});
  expect_error([] { read_npy(kDir + "header_only.npy"); }, ErrorKind::usage, {"header_only.npy", "truncated"});
  expect_error([] { read_npy(kDir + "bad_magic.npy"); }, ErrorKind::usage, {"bad_magic.npy", "magic"});
  expect_error([] { read_npy(kDir + "int32.npy"); }, ErrorKind::usage, {"int32.npy", "<i4", "not supported"});
  expect_error([] { read_npy(kDir + "big_endian.npy"); }, ErrorKind::usage, {"big_endian.npy", ">f4"});
  expect_error([] { read_npy(kDir + "fortran.npy"); }, ErrorKind::usage, {"fortran.npy", "Fortran"});
  expect_error([] { read_npy(kDir + "does_not_exist.npy"); }, ErrorKind::io, {"does_not_exist.npy", "cannot open"});
}
