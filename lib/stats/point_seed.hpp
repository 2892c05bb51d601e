#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace corey::stats {

// The bootstrap seed of one point (HARNESS.md §4.4.2): the spec's `stats.seed` XOR the first 8 bytes
// of the point id string, byte i of the id going to bits 8i..8i+7 (little-endian, independent of the
// host's byte order). Ids shorter than 8 bytes contribute only the bytes they have.
constexpr std::uint64_t point_seed(std::uint64_t stats_seed, std::string_view point_id) {
  std::uint64_t packed = 0;
  for (std::size_t i = 0; i < point_id.size() && i < 8; ++i) {
    packed |= static_cast<std::uint64_t>(static_cast<unsigned char>(point_id[i])) << (8 * i);
  }
  return stats_seed ^ packed;
}

}  // namespace corey::stats
