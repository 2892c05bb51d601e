#pragma once
#include <cstddef>
#include <cstdint>

namespace corey::cuda {

namespace stats_device {
struct MomentPartial;
}

// The power sums a proxy's tap accumulates (bits of StatsTap::sums), only those its proxy reads.
enum TapSum : unsigned {
  kTapSumX = 1,         // Σx
  kTapSumAbs = 2,       // Σ|x|
  kTapSumSq = 4,        // Σx²
  kTapSumCubeQuad = 8,  // Σx³ and Σx⁴
};
// The sums each proxy reads (proxy_native's inputs): the producer has one kernel per set.
inline constexpr unsigned kCheapProxySums = kTapSumAbs | kTapSumSq;
inline constexpr unsigned kVarianceProxySums = kTapSumX | kTapSumAbs | kTapSumSq;
inline constexpr unsigned kKurtosisProxySums = kTapSumX | kTapSumSq | kTapSumCubeQuad;

// The first pass of a statistic done by the kernel that writes the tensor (the "producer"), over the elements
// x[..., ::stride] it writes, so the statistic does not read the tensor for it:
// - histograms (hist, ebits): the range and the non-finite count go to three words at `range` by
//   order-independent atomics (stats_partial.cuh), which the caller zeroes before the producer runs; the
//   statistic then reads the tensor once, in one launch;
// - proxies: the producer stores `parts` partial power sums (MomentPartial: one per warp of the prefill's conv,
//   conv_silu_moment_parts) at `moments`, no atomics and no block barrier; the statistic is then a fold of those
//   partials and never reads the tensor (a routed scan's statistic block can do it, launch_seq_scan_routed).
// token_hist's min/max are per token: no tap.
struct StatsTap {
  unsigned int* range = nullptr;                   // histograms: [~key(min), key(max), non-finite count]
  stats_device::MomentPartial* moments = nullptr;  // proxies: `parts` partials
  int parts = 0;                                   // proxies: the producer's partials
  unsigned sums = 0;                               // proxies: the TapSum bits (tap_for); 0 for a histogram
  int blocks = 0;                                  // the producer's blocks
  std::int64_t stride = 1;                         // the statistic's sampling stride along L
  explicit operator bool() const { return blocks > 0; }
  bool wants_moments() const { return sums != 0; }
};

// Bytes of a proxy tap's `moments` for `parts` partials.
std::size_t stats_moment_tap_bytes(int parts);

}  // namespace corey::cuda
