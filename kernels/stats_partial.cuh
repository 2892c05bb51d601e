// Pass 1 of the device statistics (KERNELS.md §7.4) as a per-block partial: min/max and the non-finite count
// of the sampled elements a block visits, plus the raw moments the proxies need; and the power sums through
// which a producer does a proxy's only pass (MomentPartial). The statistics' own pass 1 and
// any kernel that writes the tensor (the prefill's conv, see StatsTap) accumulate through the same code, so a
// statistic computed from a producer's pass 1 equals the one computed by reading the tensor again (min, max
// and the count do not depend on the order; the moments' order differs by the producer's blocks).
#pragma once
#include <cstdint>

#include "stats_tap.hpp"

namespace corey::cuda::stats_device {

struct Partial1 {
  float lo, hi;
  unsigned int nonfinite;
  double sum, sum_abs, sum_sq;
};

// Over the block in a fixed order (warp butterflies, then the warp results in warp order): deterministic; every
// thread gets the result. `scratch` holds one T per warp.
template <typename T, typename Op>
__device__ T block_reduce(T v, Op op, T* scratch) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  const int warp = threadIdx.x / 32;
  const int warps = (blockDim.x + 31) / 32;
  __syncthreads();
  if ((threadIdx.x & 31) == 0) scratch[warp] = v;
  __syncthreads();
  T r = scratch[0];
  for (int w = 1; w < warps; ++w) r = op(r, scratch[w]);
  return r;
}

__device__ __forceinline__ double add_d(double a, double b) { return a + b; }
__device__ __forceinline__ unsigned int add_u(unsigned int a, unsigned int b) { return a + b; }

// The proxies' pass 1 as a producer's partial (StatsTap::moments; one per warp of the prefill's conv): the raw
// power sums up to the fourth and the non-finite count, from which every proxy's moments follow without reading
// the tensor again.
struct MomentPartial {
  double s1, s_abs, s2, s3, s4;
  unsigned int nonfinite;
};

// Shared scratch of the block reductions (one slot per warp of a block of at most 1024 threads).
struct ReduceScratch {
  double d[32];
  Partial1 part[32];
};
struct MomentScratch {
  MomentPartial part[32];
};

// One thread's share of pass 1; kMoments adds the raw moments (the proxies).
template <bool kMoments>
struct Pass1Accumulator {
  float lo = __builtin_huge_valf(), hi = -__builtin_huge_valf();
  unsigned int nonfinite = 0;
  double sum = 0.0, sum_abs = 0.0, sum_sq = 0.0;

  __device__ __forceinline__ void add(float v) {
    if (!isfinite(v)) {
      ++nonfinite;
      return;
    }
    lo = fminf(lo, v);
    hi = fmaxf(hi, v);
    if constexpr (kMoments) {
      const double w = v;
      sum += w;
      sum_abs += fabs(w);
      sum_sq += w * w;
    }
  }

  __device__ __forceinline__ void merge(const volatile Partial1& q) {
    lo = fminf(lo, q.lo);
    hi = fmaxf(hi, q.hi);
    nonfinite += q.nonfinite;
    if constexpr (kMoments) {
      sum += q.sum;
      sum_abs += q.sum_abs;
      sum_sq += q.sum_sq;
    }
  }

  // The block's partial (every thread calls it; every thread gets it): every field through the same tree as
  // block_reduce (warp butterflies, then the warps in order), all fields in one pass.
  __device__ Partial1 reduce(ReduceScratch& s) const {
    Partial1 p{lo, hi, nonfinite, sum, sum_abs, sum_sq};
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
      p.lo = fminf(p.lo, __shfl_xor_sync(0xffffffffu, p.lo, o));
      p.hi = fmaxf(p.hi, __shfl_xor_sync(0xffffffffu, p.hi, o));
      p.nonfinite += __shfl_xor_sync(0xffffffffu, p.nonfinite, o);
      if constexpr (kMoments) {
        p.sum += __shfl_xor_sync(0xffffffffu, p.sum, o);
        p.sum_abs += __shfl_xor_sync(0xffffffffu, p.sum_abs, o);
        p.sum_sq += __shfl_xor_sync(0xffffffffu, p.sum_sq, o);
      }
    }
    const int warps = (blockDim.x + 31) / 32;
    __syncthreads();
    if ((threadIdx.x & 31) == 0) s.part[threadIdx.x / 32] = p;
    __syncthreads();
    Partial1 r = s.part[0];
    for (int w = 1; w < warps; ++w) {
      const Partial1& q = s.part[w];
      r.lo = fminf(r.lo, q.lo);
      r.hi = fmaxf(r.hi, q.hi);
      r.nonfinite += q.nonfinite;
      if constexpr (kMoments) {
        r.sum += q.sum;
        r.sum_abs += q.sum_abs;
        r.sum_sq += q.sum_sq;
      }
    }
    return r;
  }
};

// One thread's share of a MomentPartial over the finite values it adds.
struct MomentAccumulator {
  double s1 = 0.0, s_abs = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0;
  unsigned int nonfinite = 0;

  __device__ __forceinline__ void add(float v) {
    if (!isfinite(v)) {
      ++nonfinite;
      return;
    }
    const double w = v, w2 = w * w;
    s1 += w;
    s_abs += fabs(w);
    s2 += w2;
    s3 = fma(w2, w, s3);
    s4 = fma(w2, w2, s4);
  }

  __device__ __forceinline__ void merge(const volatile MomentPartial& q) {
    s1 += q.s1;
    s_abs += q.s_abs;
    s2 += q.s2;
    s3 += q.s3;
    s4 += q.s4;
    nonfinite += q.nonfinite;
  }

  // The warp's partial in every lane (butterflies: the same bits in each).
  __device__ MomentPartial warp_reduce() const {
    MomentPartial p{s1, s_abs, s2, s3, s4, nonfinite};
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
      p.s1 += __shfl_xor_sync(0xffffffffu, p.s1, o);
      p.s_abs += __shfl_xor_sync(0xffffffffu, p.s_abs, o);
      p.s2 += __shfl_xor_sync(0xffffffffu, p.s2, o);
      p.s3 += __shfl_xor_sync(0xffffffffu, p.s3, o);
      p.s4 += __shfl_xor_sync(0xffffffffu, p.s4, o);
      p.nonfinite += __shfl_xor_sync(0xffffffffu, p.nonfinite, o);
    }
    return p;
  }

  // The block's partial in thread 0 (other threads get their warp's): warp butterflies, then the warps in order,
  // so the bits do not depend on timing.
  __device__ MomentPartial reduce(MomentScratch& s) const {
    const MomentPartial p = warp_reduce();
    const int warps = (blockDim.x + 31) / 32;
    __syncthreads();
    if ((threadIdx.x & 31) == 0) s.part[threadIdx.x / 32] = p;
    __syncthreads();
    if (threadIdx.x != 0) return p;
    MomentAccumulator all;
    for (int w = 0; w < warps; ++w) all.merge(s.part[w]);
    return MomentPartial{all.s1, all.s_abs, all.s2, all.s3, all.s4, all.nonfinite};
  }
};

// One producer thread's power sums in fp32 (kSums: TapSum bits, Σx² among them), so the producer's loop holds
// no fp64 registers and pays no fp64 operation per value; sums of at most a few dozen terms stay within about
// 1e-7 relative, far below what moves a proxy's chunk. A non-finite value, or a power that overflows fp32, makes
// Σx² or Σx⁴ non-finite: the caller then sums its values again in fp64 (MomentAccumulator::add).
template <unsigned kSums>
struct MomentSums32 {
  static_assert((kSums & kTapSumSq) != 0, "Σx² flags non-finite values");
  float f1 = 0.0f, fa = 0.0f, f2 = 0.0f, f3 = 0.0f, f4 = 0.0f;

  // v[j] for the bits j set in `mask`.
  template <int kN>
  __device__ __forceinline__ void add(const float (&v)[kN], unsigned int mask) {
    static_assert(kN <= 32, "a mask bit per value");
    const auto sum = [&](float x) {
      const float x2 = x * x;
      if constexpr ((kSums & kTapSumX) != 0) f1 += x;
      if constexpr ((kSums & kTapSumAbs) != 0) fa += fabsf(x);
      f2 += x2;
      if constexpr ((kSums & kTapSumCubeQuad) != 0) {
        f3 = fmaf(x2, x, f3);
        f4 = fmaf(x2, x2, f4);
      }
    };
    if (mask == (kN == 32 ? ~0u : (1u << kN) - 1u)) {
#pragma unroll
      for (int j = 0; j < kN; ++j) sum(v[j]);
    } else {
#pragma unroll
      for (int j = 0; j < kN; ++j) sum(mask >> j & 1u ? v[j] : 0.0f);
    }
  }
  __device__ __forceinline__ bool finite() const { return isfinite(f2) && isfinite(f4); }
  __device__ __forceinline__ MomentAccumulator widened() const {
    MomentAccumulator a;
    a.s1 = f1;
    a.s_abs = fa;
    a.s2 = f2;
    a.s3 = f3;
    a.s4 = f4;
    return a;
  }
};

// The order-preserving unsigned key of a finite float (a < b ⇔ key(a) < key(b)); finite keys are never 0 and
// never ~0u, so a zeroed range word means "no finite value".
__device__ __forceinline__ unsigned int order_key(float v) {
  const unsigned int b = __float_as_uint(v);
  return b & 0x80000000u ? ~b : b | 0x80000000u;
}
__device__ __forceinline__ float from_order_key(unsigned int k) {
  return __uint_as_float(k & 0x80000000u ? k & 0x7fffffffu : ~k);
}

// A block's range and non-finite count into a StatsTap's zeroed range words (thread 0 of the block).
__device__ __forceinline__ void publish_range(const Partial1& p, unsigned int* range) {
  if (p.lo <= p.hi) {
    atomicMax(&range[0], ~order_key(p.lo));
    atomicMax(&range[1], order_key(p.hi));
  }
  if (p.nonfinite) atomicAdd(&range[2], p.nonfinite);
}

// The range words as a partial (lo > hi when no finite value was seen), read at L2: the producer's atomics are there.
__device__ __forceinline__ Partial1 read_range(const unsigned int* range) {
  Partial1 p{};
  const unsigned int lo = __ldcg(&range[0]), hi = __ldcg(&range[1]);
  p.lo = lo == 0 ? __builtin_huge_valf() : from_order_key(~lo);
  p.hi = hi == 0 ? -__builtin_huge_valf() : from_order_key(hi);
  p.nonfinite = __ldcg(&range[2]);
  return p;
}

// Partials [0, n) folded in a fixed order (thread i takes i, i + blockDim.x, …, then the block reduction), so
// every block that folds the same partials gets the same bits. Read through volatile: they may have been
// written by other blocks of this grid or by a kernel on another stream, and this SM's L1 may hold old lines.
template <bool kMoments>
__device__ Partial1 fold_partials(const Partial1* parts, unsigned int n, ReduceScratch& s) {
  Pass1Accumulator<kMoments> acc;
  for (unsigned int i = threadIdx.x; i < n; i += blockDim.x) acc.merge(static_cast<const volatile Partial1*>(parts)[i]);
  return acc.reduce(s);
}

// Moment partials [0, n) folded in a fixed order like fold_partials; the total in thread 0.
__device__ inline MomentPartial fold_moments(const MomentPartial* parts, unsigned int n, MomentScratch& s) {
  MomentAccumulator acc;
  for (unsigned int i = threadIdx.x; i < n; i += blockDim.x)
    acc.merge(static_cast<const volatile MomentPartial*>(parts)[i]);
  return acc.reduce(s);
}

}  // namespace corey::cuda::stats_device
