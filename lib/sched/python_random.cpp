#include "sched/python_random.hpp"

#include <bit>
#include <stdexcept>
#include <vector>

namespace corey::sched {

PythonRandom::PythonRandom(std::int64_t seed) {
  // Python seeds with abs(seed), split into 32-bit words, least significant first ([0] for 0).
  std::uint64_t magnitude = seed < 0 ? 0 - static_cast<std::uint64_t>(seed) : static_cast<std::uint64_t>(seed);
  std::vector<std::uint32_t> key;
  do {
    key.push_back(static_cast<std::uint32_t>(magnitude & 0xffffffffu));
    magnitude >>= 32;
  } while (magnitude != 0);

  // init_genrand(19650218)
  mt_[0] = 19650218u;
  for (int i = 1; i < kN; ++i) mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
  // init_by_array(key)
  int i = 1;
  std::size_t j = 0;
  for (std::size_t k = std::max<std::size_t>(kN, key.size()); k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525u)) + key[j] + static_cast<std::uint32_t>(j);
    ++i;
    ++j;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
    if (j >= key.size()) j = 0;
  }
  for (int k = kN - 1; k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941u)) - static_cast<std::uint32_t>(i);
    ++i;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
  }
  mt_[0] = 0x80000000u;
  index_ = kN;
}

std::uint32_t PythonRandom::genrand_uint32() {
  constexpr std::uint32_t upper = 0x80000000u, lower = 0x7fffffffu, matrix_a = 0x9908b0dfu;
  if (index_ >= kN) {
    for (int k = 0; k < kN; ++k) {
      const std::uint32_t y = (mt_[k] & upper) | (mt_[(k + 1) % kN] & lower);
      mt_[k] = mt_[(k + 397) % kN] ^ (y >> 1) ^ ((y & 1u) ? matrix_a : 0u);
    }
    index_ = 0;
  }
  std::uint32_t y = mt_[index_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

std::uint32_t PythonRandom::getrandbits(int k) {
  if (k < 0 || k > 32) throw std::invalid_argument("getrandbits: k must be in [0, 32]");
  if (k == 0) return 0;
  return genrand_uint32() >> (32 - k);
}

std::uint64_t PythonRandom::randbelow(std::uint64_t n) {
  if (n == 0 || n > 0xffffffffull) throw std::invalid_argument("randbelow: n must be in [1, 2^32)");
  const int k = std::bit_width(n);
  std::uint64_t r = getrandbits(k);
  while (r >= n) r = getrandbits(k);
  return r;
}

}  // namespace corey::sched
