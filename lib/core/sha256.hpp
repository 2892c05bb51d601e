#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace corey {

// SHA-256 (FIPS 180-4). Our own implementation so the build needs no crypto library; used for point ids,
// spec hashes and the checksums of raw-sample files.
class Sha256 {
 public:
  using Digest = std::array<std::uint8_t, 32>;

  Sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Pads and returns the digest; the object must not be updated afterwards.
  Digest finish();

 private:
  void compress(const std::uint8_t* block);

  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

std::string to_hex(const Sha256::Digest& digest);
std::string sha256_hex(std::string_view data);
// Hex digest of a file's bytes; throws corey::Error (io) when it cannot be read.
std::string sha256_file_hex(const std::string& path);

}  // namespace corey
