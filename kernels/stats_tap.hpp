#pragma once
#include <cstdint>

namespace corey::cuda {

// Pass 1 of a histogram statistic done by the kernel that writes the tensor (the "producer"): the range and the
// non-finite count of the elements x[..., ::stride] it writes go to three words at `range` by order-independent
// atomics (stats_partial.cuh), which the caller zeroes before the producer runs. The statistic then reads the
// tensor once, in one launch. Only the histogram statistics have a tap: the proxies' double-precision moments
// would lengthen the producer, which sits on the critical path, more than their own pass costs beside it
// (corey_bench_model --rule-overhead); token_hist's min/max are per token.
struct StatsTap {
  unsigned int* range = nullptr;  // [~key(min), key(max), non-finite count], key = the order-preserving bits
  int blocks = 0;                 // the producer's blocks
  std::int64_t stride = 1;        // the statistic's sampling stride along L
  explicit operator bool() const { return blocks > 0; }
};

}  // namespace corey::cuda
