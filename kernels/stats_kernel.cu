// Device-side activation statistics and the entropy → chunk rule (KERNELS.md §7.4, PAPER.md §2.2–2.4).
// Pass 1: min/max, non-finite count and raw moments; pass 2: the K-bin histogram (integer atomics, so the
// counts are deterministic) or the central moments. The last block of each pass (ticket counter) reduces the
// per-block partials in block order, so every result is run-to-run deterministic; the last block of pass 2
// also applies the chunk rule and writes H and Q to device memory, and leaves the workspace zeroed.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "cuda_check.hpp"
#include "stats_kernel.hpp"

namespace corey::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kMaxCopiedBins = 1024;

struct Part1 {
  float lo, hi;
  unsigned int nonfinite;
  double sum, sum_abs, sum_sq;
};
struct Part2 {
  double c2, c4;
};
struct Summary {
  float lo, hi;
  unsigned int nonfinite;
  double mean, mean_abs, mean_sq;
};

__device__ __forceinline__ float load_x(const StatsParams& p, std::int64_t i) {
  switch (p.io) {
    case IoType::f32: return static_cast<const float*>(p.x)[i];
    case IoType::f16: return __half2float(static_cast<const __half*>(p.x)[i]);
    case IoType::bf16: return __bfloat162float(static_cast<const __nv_bfloat16*>(p.x)[i]);
  }
  return 0.0f;
}

// Visits every element of x[..., ::stride]: rows (b, d) block-strided, tokens thread-strided.
template <typename F>
__device__ __forceinline__ void for_each(const StatsParams& p, F&& f) {
  const std::int64_t rows = p.batch * p.dim;
  const std::int64_t lt = (p.seqlen + p.stride - 1) / p.stride;
  const std::int64_t step = p.stride * p.sl;
  for (std::int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const std::int64_t base = (row / p.dim) * p.sb + (row % p.dim) * p.sd;
    // Four independent loads in flight per thread before any is used.
    for (std::int64_t t0 = threadIdx.x; t0 < lt; t0 += 4 * kThreads) {
      float v[4];
#pragma unroll
      for (int k = 0; k < 4; ++k) {
        const std::int64_t t = t0 + k * kThreads;
        v[k] = t < lt ? load_x(p, base + t * step) : 0.0f;
      }
#pragma unroll
      for (int k = 0; k < 4; ++k)
        if (t0 + k * kThreads < lt) f(v[k]);
    }
  }
}

template <typename T, typename Op>
__device__ T block_reduce(T v, Op op, T* scratch) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  const int warp = threadIdx.x / 32;
  __syncthreads();
  if ((threadIdx.x & 31) == 0) scratch[warp] = v;
  __syncthreads();
  T r = scratch[0];
  for (int w = 1; w < kWarps; ++w) r = op(r, scratch[w]);
  return r;
}

__device__ bool is_last_block(unsigned int* ticket) {
  __shared__ bool last;
  __threadfence();
  __syncthreads();
  if (threadIdx.x == 0) last = atomicAdd(ticket, 1u) == gridDim.x - 1;
  __syncthreads();
  if (last) __threadfence();
  return last;
}

__device__ double add_d(double a, double b) { return a + b; }

__global__ void __launch_bounds__(kThreads) stats_pass1(const StatsParams p, StatsWorkspace ws) {
  __shared__ double sd[kWarps];
  __shared__ float sf[kWarps];
  __shared__ unsigned int su[kWarps];
  float lo = __int_as_float(0x7f800000), hi = -__int_as_float(0x7f800000);
  unsigned int bad = 0;
  double sum = 0.0, sum_abs = 0.0, sum_sq = 0.0;
  for_each(p, [&](float v) {
    if (!isfinite(v)) {
      ++bad;
      return;
    }
    lo = fminf(lo, v);
    hi = fmaxf(hi, v);
    const double w = v;
    sum += w;
    sum_abs += fabs(w);
    sum_sq += w * w;
  });
  Part1 part;
  part.lo = block_reduce(lo, [](float a, float b) { return fminf(a, b); }, sf);
  part.hi = block_reduce(hi, [](float a, float b) { return fmaxf(a, b); }, sf);
  part.nonfinite = block_reduce(bad, [](unsigned a, unsigned b) { return a + b; }, su);
  part.sum = block_reduce(sum, add_d, sd);
  part.sum_abs = block_reduce(sum_abs, add_d, sd);
  part.sum_sq = block_reduce(sum_sq, add_d, sd);
  Part1* parts = static_cast<Part1*>(ws.partials);
  if (threadIdx.x == 0) parts[blockIdx.x] = part;
  if (!is_last_block(&ws.ticket[0])) return;
  if (threadIdx.x == 0) {
    Summary s{__int_as_float(0x7f800000), -__int_as_float(0x7f800000), 0u, 0.0, 0.0, 0.0};
    double a = 0.0, b = 0.0, c = 0.0;
    for (unsigned i = 0; i < gridDim.x; ++i) {
      volatile Part1* q = parts + i;
      s.lo = fminf(s.lo, q->lo);
      s.hi = fmaxf(s.hi, q->hi);
      s.nonfinite += q->nonfinite;
      a += q->sum;
      b += q->sum_abs;
      c += q->sum_sq;
    }
    const double n = static_cast<double>(p.batch * p.dim * ((p.seqlen + p.stride - 1) / p.stride));
    s.mean = a / n;
    s.mean_abs = b / n;
    s.mean_sq = c / n;
    *reinterpret_cast<Summary*>(parts + gridDim.x) = s;
    ws.ticket[0] = 0;
  }
}

__global__ void __launch_bounds__(kThreads) stats_pass2(const StatsParams p, StatsWorkspace ws) {
  extern __shared__ unsigned int shist[];
  __shared__ double sd[kWarps];
  Part1* parts1 = static_cast<Part1*>(ws.partials);
  const Summary s = *reinterpret_cast<const Summary*>(parts1 + gridDim.x);
  Part2* parts2 = reinterpret_cast<Part2*>(parts1 + gridDim.x + 1);  // after the partials and the summary
  const bool hist = p.kind == StatKind::hist || p.kind == StatKind::ebits;
  const std::int64_t n = p.batch * p.dim * ((p.seqlen + p.stride - 1) / p.stride);
  if (hist) {
    // One histogram copy per warp when it fits (fewer colliding shared atomics on peaked distributions).
    const int copies = p.bins <= kMaxCopiedBins ? kWarps : 1;
    unsigned int* mine = shist + (copies == 1 ? 0 : (threadIdx.x / 32) * p.bins);
    for (int i = threadIdx.x; i < copies * p.bins; i += kThreads) shist[i] = 0;
    __syncthreads();
    const float denom = static_cast<float>(static_cast<double>(s.hi) - static_cast<double>(s.lo) + 1e-8);
    const float k = static_cast<float>(p.bins);
    const float kmax = static_cast<float>(p.bins - 1);
    for_each(p, [&](float v) {
      if (!isfinite(v)) return;
      const float scaled = __fmul_rn(__fdiv_rn(__fsub_rn(v, s.lo), denom), k);
      const float f = fminf(fmaxf(floorf(scaled), 0.0f), kmax);
      atomicAdd(&mine[static_cast<int>(f)], 1u);
    });
    __syncthreads();
    for (int i = threadIdx.x; i < p.bins; i += kThreads) {
      unsigned int c = 0;
      for (int w = 0; w < copies; ++w) c += shist[w * p.bins + i];
      if (c) atomicAdd(&ws.hist[i], static_cast<unsigned long long>(c));
    }
  } else if (p.kind == StatKind::variance_proxy || p.kind == StatKind::kurtosis_proxy) {
    double c2 = 0.0, c4 = 0.0;
    for_each(p, [&](float v) {
      if (!isfinite(v)) return;
      const double c = static_cast<double>(v) - s.mean;
      c2 += c * c;
      c4 += (c * c) * (c * c);
    });
    Part2 part;
    part.c2 = block_reduce(c2, add_d, sd);
    part.c4 = block_reduce(c4, add_d, sd);
    if (threadIdx.x == 0) parts2[blockIdx.x] = part;
  }
  if (!is_last_block(&ws.ticket[1])) return;

  // Last block: the statistic in its native unit.
  double native = 0.0;
  if (hist) {
    const bool ebits = p.kind == StatKind::ebits;
    const double eps = ebits ? 1e-8 : 1e-10;
    const double total = static_cast<double>(n) + eps;
    double term = 0.0;
    for (int i = threadIdx.x; i < p.bins; i += kThreads) {
      const double c = static_cast<double>(atomicExch(&ws.hist[i], 0ull));  // read and re-zero
      const double q = c / total;
      if (q > eps) term += q * (ebits ? log2(q + eps) : log(q + eps));
    }
    const double h = -block_reduce(term, add_d, sd);
    const double span = static_cast<double>(s.hi) - static_cast<double>(s.lo);
    native = (n == 0 || (ebits ? fabs(span) : span) < 1e-8) ? 0.0 : h;
  } else {
    double c2 = 0.0, c4 = 0.0;
    if (p.kind != StatKind::cheap_proxy) {
      for (unsigned i = 0; i < gridDim.x; ++i) {
        volatile Part2* q = parts2 + i;
        c2 += q->c2;
        c4 += q->c4;
      }
      c2 /= static_cast<double>(n);
      c4 /= static_cast<double>(n);
    }
    double ratio = 0.0;
    if (p.kind == StatKind::cheap_proxy) {
      ratio = s.mean_abs / (sqrt(s.mean_sq + 1e-8) + 1e-8);
    } else if (p.kind == StatKind::variance_proxy) {
      const double sigma = sqrt(c2 + 1e-8);
      ratio = sigma / (s.mean_abs + sigma + 1e-8);
    } else {
      const double v = c2 + 1e-8;
      ratio = 1.0 - exp(-fmax(c4 / (v * v) - 3.0, 0.0) / 8.0);
    }
    native = n == 0 ? 0.0 : fmin(fmax(ratio, 0.0), 1.0) * log(static_cast<double>(p.bins));
  }
  if (threadIdx.x != 0) return;
  constexpr double kLn2 = 0.69314718055994530942;
  const double nats = p.kind == StatKind::ebits ? native * kLn2 : native;
  double value = nats;
  if (p.units == 1) value = p.kind == StatKind::ebits ? native : nats / kLn2;
  if (p.units == 2) value = fmin(fmax(nats / log(static_cast<double>(p.bins < 2 ? 2 : p.bins)), 0.0), 1.0);
  ws.result[0] = value;
  ws.result[1] = native;
  ws.result[2] = static_cast<double>(s.nonfinite);
  if (p.entropy_out) *p.entropy_out = static_cast<float>(value);
  if (p.chunk_out) {
    const double r = p.h_ref <= 0.0 ? 0.0 : fmin(value / p.h_ref, 1.0);
    const double raw = static_cast<double>(p.c_min) + r * static_cast<double>(p.c_max - p.c_min);
    const double l2 = log2(fmax(raw, 1.0));
    const double e = p.round_half_even ? rint(l2) : floor(l2);
    std::int64_t c = static_cast<std::int64_t>(ldexp(1.0, static_cast<int>(e)));
    c = c < p.c_min ? p.c_min : (c > p.c_max ? p.c_max : c);
    *p.chunk_out = static_cast<std::int32_t>(c);
  }
  ws.ticket[1] = 0;
}

}  // namespace

std::size_t stats_partials_bytes(int blocks) {
  static_assert(sizeof(Summary) <= sizeof(Part1), "the summary occupies one partial slot");
  return static_cast<std::size_t>(blocks + 1) * sizeof(Part1) + static_cast<std::size_t>(blocks) * sizeof(Part2);
}

void launch_stats(const StatsParams& p, const StatsWorkspace& ws, cudaStream_t stream) {
  const std::size_t hist_bytes =
      static_cast<std::size_t>(p.bins) * sizeof(unsigned int) * (p.bins <= kMaxCopiedBins ? kWarps : 1);
  stats_pass1<<<ws.blocks, kThreads, 0, stream>>>(p, ws);
  check(cudaGetLastError(), "stats_pass1 launch");
  stats_pass2<<<ws.blocks, kThreads, hist_bytes, stream>>>(p, ws);
  check(cudaGetLastError(), "stats_pass2 launch");
}

}  // namespace corey::cuda
