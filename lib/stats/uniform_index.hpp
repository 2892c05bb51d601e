#pragma once
#include <cstdint>
#include <limits>

namespace corey::stats {

// An unbiased index in [0, n) built only from raw 64-bit engine outputs, so that a seed gives the same
// indices with every standard library (std::uniform_int_distribution is implementation-defined).
// Method: let t = 2^64 mod n; raw values below t are rejected and redrawn, and an accepted value x is
// mapped to x mod n. The accepted range [t, 2^64) holds 2^64 − t values, an exact multiple of n, so each
// index is hit by the same number of raw values. A draw is rejected with probability t/2^64, below ½ for
// every n and below n/2^64 (negligible) for the sample counts of a benchmark.
// Precondition: n ≥ 1.
template <class Engine>
std::uint64_t uniform_index(Engine& engine, std::uint64_t n) {
  static_assert(Engine::min() == 0 && Engine::max() == std::numeric_limits<std::uint64_t>::max(),
                "uniform_index needs an engine with full 64-bit outputs, such as std::mt19937_64");
  const std::uint64_t threshold = (0 - n) % n;  // (2^64 − n) mod n == 2^64 mod n
  while (true) {
    const std::uint64_t x = engine();
    if (x >= threshold) return x % n;
  }
}

}  // namespace corey::stats
