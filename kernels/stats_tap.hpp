#pragma once
#include <cstdint>

namespace corey::cuda {

// Pass 1 of a device statistic done by the kernel that writes the tensor: each of its blocks stores one pass-1
// partial (stats_partial.cuh) of the elements x[..., ::stride] it wrote, into `partials` at its block index. The
// statistic then starts from those partials and reads the tensor once instead of twice, and its first launch
// is gone from the critical path. An empty tap (no partials) means the statistic has no such path.
struct StatsTap {
  void* partials = nullptr;  // stats_device::Partial1[blocks of the producer]
  std::int64_t stride = 1;   // the statistic's sampling stride along L
  bool moments = false;      // also the raw moments (the proxies)
  explicit operator bool() const { return partials != nullptr; }
};

}  // namespace corey::cuda
