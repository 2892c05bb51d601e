#pragma once
#include <array>
#include <cstdint>
#include <span>

namespace corey::sched {

// CPython's random.Random for integer seeds, as far as the `random` scheduler row uses it (PAPER.md §2.4):
// MT19937 seeded by init_by_array with the 32-bit words of |seed|, getrandbits(k ≤ 32) and choice().
class PythonRandom {
 public:
  explicit PythonRandom(std::int64_t seed);

  std::uint32_t genrand_uint32();
  std::uint32_t getrandbits(int k);          // 0 ≤ k ≤ 32: genrand_uint32() >> (32 − k)
  std::uint64_t randbelow(std::uint64_t n);  // rejection sampling with k = bit_length(n) bits; n ≥ 1, n < 2^32

  template <class T>
  const T& choice(std::span<const T> seq) {
    return seq[static_cast<std::size_t>(randbelow(seq.size()))];
  }

 private:
  static constexpr int kN = 624;
  std::array<std::uint32_t, kN> mt_{};
  int index_ = kN;
};

}  // namespace corey::sched
