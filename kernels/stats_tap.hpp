#pragma once
#include <cstdint>

namespace corey::cuda {

// Pass 1 of a device statistic done by the kernel that writes the tensor (the "producer"), over the elements
// x[..., ::stride] it writes (stats_partial.cuh):
// - the range and the non-finite count go to three words at `range` by order-independent atomics (so they are
//   exact and need no reduction afterwards); the caller zeroes them before the producer runs;
// - with `moments`, each producer block also stores its raw moments as one partial at `partials[block]`.
// The statistic then starts from these and reads the tensor at most once, in one launch. An empty tap means the
// statistic has no such path (its min/max are per token, or it runs on the host).
struct StatsTap {
  unsigned int* range = nullptr;  // [~key(min), key(max), non-finite count], key = the order-preserving bits
  void* partials = nullptr;       // stats_device::Partial1[blocks] when moments
  int blocks = 0;                 // the producer's blocks
  std::int64_t stride = 1;        // the statistic's sampling stride along L
  bool moments = false;           // the proxies' raw moments
  explicit operator bool() const { return blocks > 0; }
};

}  // namespace corey::cuda
