#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <span>

#include "core/ziggurat_tables.hpp"

namespace corey::core {

// numpy's SeedSequence(seed).generate_state(4, uint64): the four 64-bit words that seed PCG64.
std::array<std::uint64_t, 4> seed_sequence_state(std::uint64_t seed);

// numpy.random.default_rng(seed) bit for bit: SeedSequence -> PCG64 (XSL-RR), one stream, and the
// distributions numpy 1.24 implements on top of it (PAPER.md §3.2). Normal draws use a ziggurat whose tables
// were derived independently (tools/gen_ziggurat_tables.py): they match numpy to ~1e-15 relative, ~2e-14 in the
// lowest layers, where numpy's own tables carry that much rounding.
class NumpyGenerator {
 public:
  explicit NumpyGenerator(std::uint64_t seed);

  std::uint64_t next_u64() {
    if (position_ == buffer_.size()) refill();
    return buffer_[position_++];
  }
  // uniform [0, 1) with 53 random bits
  double next_double() { return static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0); }
  double standard_normal() {
    // The ziggurat's common case (a point inside its layer's rectangle) inline; the rest out of line.
    const std::uint64_t r = next_u64();
    const auto idx = static_cast<std::size_t>(r & 0xffU);
    const std::uint64_t rabs = (r >> 9) & 0x000fffffffffffffULL;
    double x = static_cast<double>(rabs) * ziggurat::wi[idx];
    if ((r >> 8) & 0x1U) x = -x;
    if (rabs < ziggurat::ki[idx]) return x;
    return standard_normal_slow(idx, rabs, x);
  }
  double normal(double loc, double scale) { return loc + scale * standard_normal(); }
  double uniform(double low, double high) { return low + (high - low) * next_double(); }
  // Marsaglia-Tsang; numpy's branch for shape > 1 (throws std::invalid_argument otherwise).
  double standard_gamma(double shape);
  // Student t through standard_gamma(df / 2): requires df > 2.
  double standard_t(double df);

  // Fill in C order, element by element, as numpy's sized calls do.
  void fill_standard_normal(std::span<double> out);
  void fill_standard_t(double df, std::span<double> out);

 private:
  // The raw stream is produced ahead in blocks by four interleaved LCG chains (each jumping four steps), so
  // the 128-bit multiplications do not wait on each other; the stream itself is unchanged.
  static constexpr std::size_t block = 256;
  unsigned __int128 state_ = 0;  // state of the last output placed in the buffer
  unsigned __int128 increment_ = 0;
  unsigned __int128 jump_increment_ = 0;  // increment of four steps at once
  std::array<std::uint64_t, block> buffer_{};
  std::size_t position_ = block;
  void step();
  void refill();
  // Marsaglia-Tsang with b = shape − 1/3 and c = 1/√(9b) computed by the caller.
  double standard_gamma_prepared(double b, double c) {
    for (;;) {
      double x = 0.0;
      double v = 0.0;
      do {
        x = standard_normal();
        v = 1.0 + c * x;
      } while (v <= 0.0);
      v = v * v * v;
      const double u = next_double();
      if (u < 1.0 - 0.0331 * (x * x) * (x * x)) return b * v;
      if (std::log(u) < 0.5 * x * x + b * (1.0 - v + std::log(v))) return b * v;
    }
  }
  double standard_normal_slow(std::size_t idx, std::uint64_t rabs, double x);
};

}  // namespace corey::core
