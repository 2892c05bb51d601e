#include "core/numpy_random.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

#include "core/ziggurat_tables.hpp"

namespace corey::core {
namespace {

// SeedSequence constants (numpy/random/bit_generator.pyx); all arithmetic is mod 2^32.
constexpr std::uint32_t init_a = 0x43b0d7e5U;
constexpr std::uint32_t mult_a = 0x931e8875U;
constexpr std::uint32_t init_b = 0x8b51f9ddU;
constexpr std::uint32_t mult_b = 0x58f38dedU;
constexpr std::uint32_t mix_mult_l = 0xca01f9ddU;
constexpr std::uint32_t mix_mult_r = 0x4973f715U;
constexpr int xshift = 16;
constexpr std::size_t pool_size = 4;

struct HashMixer {
  std::uint32_t hash_const = init_a;
  std::uint32_t operator()(std::uint32_t value) {
    value ^= hash_const;
    hash_const *= mult_a;
    value *= hash_const;
    value ^= value >> xshift;
    return value;
  }
};

std::uint32_t mix(std::uint32_t x, std::uint32_t y) {
  std::uint32_t result = mix_mult_l * x - mix_mult_r * y;
  result ^= result >> xshift;
  return result;
}

constexpr unsigned __int128 pcg_multiplier =
    (static_cast<unsigned __int128>(0x2360ED051FC65DA4ULL) << 64) | 0x4385DF649FCCF645ULL;

}  // namespace

std::array<std::uint64_t, 4> seed_sequence_state(std::uint64_t seed) {
  std::vector<std::uint32_t> entropy;
  for (std::uint64_t rest = seed; rest != 0; rest >>= 32) entropy.push_back(static_cast<std::uint32_t>(rest));
  if (entropy.empty()) entropy.push_back(0);

  HashMixer hashmix;
  std::array<std::uint32_t, pool_size> pool{};
  for (std::size_t i = 0; i < pool_size; ++i) pool[i] = hashmix(i < entropy.size() ? entropy[i] : 0U);
  for (std::size_t src = 0; src < pool_size; ++src)
    for (std::size_t dst = 0; dst < pool_size; ++dst)
      if (src != dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
  for (std::size_t src = pool_size; src < entropy.size(); ++src)
    for (std::size_t dst = 0; dst < pool_size; ++dst) pool[dst] = mix(pool[dst], hashmix(entropy[src]));

  std::array<std::uint32_t, 8> words{};
  std::uint32_t hash_const = init_b;
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::uint32_t value = pool[i % pool_size];
    value ^= hash_const;
    hash_const *= mult_b;
    value *= hash_const;
    value ^= value >> xshift;
    words[i] = value;
  }
  std::array<std::uint64_t, 4> state{};
  for (std::size_t k = 0; k < state.size(); ++k)
    state[k] = static_cast<std::uint64_t>(words[2 * k]) | (static_cast<std::uint64_t>(words[2 * k + 1]) << 32);
  return state;
}

NumpyGenerator::NumpyGenerator(std::uint64_t seed) {
  const auto words = seed_sequence_state(seed);
  const unsigned __int128 init_state = (static_cast<unsigned __int128>(words[0]) << 64) | words[1];
  const unsigned __int128 init_seq = (static_cast<unsigned __int128>(words[2]) << 64) | words[3];
  state_ = 0;
  increment_ = (init_seq << 1) | 1U;
  step();
  state_ += init_state;
  step();
  // s_{n+4} = M^4 s_n + (M^3 + M^2 + M + 1) inc
  jump_increment_ = increment_ * (((pcg_multiplier + 1U) * pcg_multiplier + 1U) * pcg_multiplier + 1U);
}

void NumpyGenerator::step() { state_ = state_ * pcg_multiplier + increment_; }

namespace {

// PCG64's XSL-RR output of a state.
inline std::uint64_t xsl_rr(unsigned __int128 state) {
  const auto hi = static_cast<std::uint64_t>(state >> 64);
  const auto lo = static_cast<std::uint64_t>(state);
  const std::uint64_t xored = hi ^ lo;
  const unsigned rot = static_cast<unsigned>(state >> 122);
  return (xored >> rot) | (xored << ((64U - rot) & 63U));
}

constexpr unsigned __int128 pcg_multiplier_4 =
    pcg_multiplier * pcg_multiplier * pcg_multiplier * pcg_multiplier;

}  // namespace

void NumpyGenerator::refill() {
  std::array<unsigned __int128, 4> chain{};
  unsigned __int128 s = state_;
  for (auto& c : chain) {
    s = s * pcg_multiplier + increment_;
    c = s;
  }
  for (std::size_t k = 0; k < block; k += 4) {
    for (std::size_t j = 0; j < 4; ++j) buffer_[k + j] = xsl_rr(chain[j]);
    if (k + 4 < block)
      for (auto& c : chain) c = c * pcg_multiplier_4 + jump_increment_;
  }
  state_ = chain[3];
  position_ = 0;
}

double NumpyGenerator::standard_normal_slow(std::size_t idx, std::uint64_t rabs, double x) {
  using namespace ziggurat;
  if (idx == 0) {
    // Tail beyond R: Marsaglia's exponential rejection, as numpy does it (log1p of the negated draw).
    for (;;) {
      const double xx = -inv_r * std::log1p(-next_double());
      const double yy = -std::log1p(-next_double());
      if (yy + yy > xx * xx) return ((rabs >> 8) & 0x1U) ? -(right_edge + xx) : right_edge + xx;
    }
  }
  if ((fi[idx - 1] - fi[idx]) * next_double() + fi[idx] < std::exp(-0.5 * x * x)) return x;
  return standard_normal();  // rejected: numpy restarts with a fresh draw
}

double NumpyGenerator::standard_gamma(double shape) {
  if (!(shape > 1.0)) throw std::invalid_argument("standard_gamma: only shape > 1 is implemented");
  const double b = shape - 1.0 / 3.0;
  return standard_gamma_prepared(b, 1.0 / std::sqrt(9.0 * b));
}

double NumpyGenerator::standard_t(double df) {
  const double num = standard_normal();
  const double denom = standard_gamma(df / 2.0);
  return std::sqrt(df / 2.0) * num / std::sqrt(denom);
}

void NumpyGenerator::fill_standard_normal(std::span<double> out) {
  for (double& value : out) value = standard_normal();
}

void NumpyGenerator::fill_standard_t(double df, std::span<double> out) {
  const double shape = df / 2.0;
  if (!(shape > 1.0)) throw std::invalid_argument("standard_t: only df > 2 is implemented");
  const double b = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * b);
  const double scale = std::sqrt(shape);
  for (double& value : out) {
    const double num = standard_normal();
    value = scale * num / std::sqrt(standard_gamma_prepared(b, c));
  }
}

}  // namespace corey::core
