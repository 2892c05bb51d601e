#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "catch.hpp"
#include "core/error.hpp"
#include "core/npy.hpp"
#include "core/safetensors.hpp"

namespace {
std::string write_temp(const std::string& name, const std::string& bytes) {
  const auto path = std::filesystem::temp_directory_path() / ("corey_overflow_" + std::to_string(::getpid()) + name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path.string();
}
}  // namespace

TEST_CASE("a safetensors shape whose byte size wraps around 2^64 is rejected, not read as empty") {
  const std::string header = R"({"x":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}})";
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  const auto path = write_temp(".safetensors", bytes + header);
  try {
    corey::core::SafetensorsFile file(path);
    FAIL("a wrapped shape was accepted");
  } catch (const corey::Error& e) {
    CHECK(std::string(e.what()).find("too large") != std::string::npos);
  }
}

TEST_CASE("an npy shape whose byte size wraps around 2^64 is rejected") {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (999999999999999, 999999999999999), }";
  header.resize(118, ' ');
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size() & 0xff) +
                      static_cast<char>(header.size() >> 8) + header;
  const auto path = write_temp(".npy", bytes);
  try {
    corey::core::read_npy(path);
    FAIL("a wrapped shape was accepted");
  } catch (const corey::Error& e) {
    CHECK(std::string(e.what()).find("too large") != std::string::npos);
  }
}
