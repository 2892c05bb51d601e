#pragma once
// The statistics' per-value and per-result device code, shared by the statistics kernels (stats_kernel.cu) and
// the routed scan's statistic blocks (scan_kernel.cu): element conversion, the paper's bins, the entropy and
// proxy values, the chunk rule, and a few co-resident blocks computing a whole sampled statistic.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

#include "stats_kernel.hpp"
#include "stats_partial.cuh"

namespace corey::cuda::stats_device {

struct Part2 {
  double c2, c4;
};
struct Summary {
  float lo, hi;
  unsigned int nonfinite;
  double mean, mean_abs, mean_sq;
};

template <IoType io>
struct Elem;
template <>
struct Elem<IoType::f32> {
  using T = float;
};
template <>
struct Elem<IoType::f16> {
  using T = __half;
};
template <>
struct Elem<IoType::bf16> {
  using T = __nv_bfloat16;
};

template <IoType io>
__device__ __forceinline__ float to_f32(typename Elem<io>::T v) {
  if constexpr (io == IoType::f32) {
    return v;
  } else if constexpr (io == IoType::f16) {
    return __half2float(v);
  } else {
    return __bfloat162float(v);
  }
}

// The paper's bin index of a finite value x ≥ lo: floor((x − lo) / denom · k) clamped to [0, k − 1], in fp32
// with every operation rounded to nearest (no contraction), so it equals the CPU estimator's index bit for bit.
// The division is taken only near a bin edge: with x − lo ≤ denom, (x − lo) · RN(k / denom) is within
// k · 2^-22 of the exact formula's value, so away from an integer by more than a margin four times that, both
// have the same floor. About 2 · k · 2^-20 of the values (5e-4 at k = 256) take the exact path.
struct PaperBins {
  float lo, denom, k, kmax, k_over_denom, margin;
  __device__ PaperBins(float lo_, float denom_, int bins) {
    lo = lo_;
    denom = denom_;
    k = static_cast<float>(bins);
    kmax = static_cast<float>(bins - 1);
    k_over_denom = __fdiv_rn(k, denom);
    margin = k * 0x1p-20f;
  }
  __device__ __forceinline__ int operator()(float v) const {
    const float x = __fsub_rn(v, lo);
    const float t = __fmul_rn(x, k_over_denom);
    float f = floorf(t);
    if (__fsub_rn(t, f) < margin || __fsub_rn(__fadd_rn(f, 1.0f), t) < margin)
      f = floorf(__fmul_rn(__fdiv_rn(x, denom), k));
    return static_cast<int>(fminf(fmaxf(f, 0.0f), kmax));
  }
};

__host__ __device__ inline std::int64_t sampled_count(const StatsParams& p) {
  return p.batch * p.dim * ((p.seqlen + p.stride - 1) / p.stride);
}

// Thread 0 of the last block: H in the requested units, the result slots and the chunk rule.
__device__ inline void finish(const StatsParams& p, const StatsWorkspace& ws, double native, unsigned int nonfinite) {
  constexpr double kLn2 = 0.69314718055994530942;
  const double nats = p.kind == StatKind::ebits ? native * kLn2 : native;
  double value = nats;
  if (p.units == 1) value = p.kind == StatKind::ebits ? native : nats / kLn2;
  if (p.units == 2) value = fmin(fmax(nats / log(static_cast<double>(p.bins < 2 ? 2 : p.bins)), 0.0), 1.0);
  ws.result[0] = value;
  ws.result[1] = native;
  ws.result[2] = static_cast<double>(nonfinite);
  if (p.entropy_out) *p.entropy_out = static_cast<float>(value);
  if (p.chunk_out) {
    const double r = p.h_ref <= 0.0 ? 0.0 : fmin(value / p.h_ref, 1.0);
    const double raw = static_cast<double>(p.c_min) + r * static_cast<double>(p.c_max - p.c_min);
    const double l2 = log2(fmax(raw, 1.0));
    const double e = p.round_half_even ? rint(l2) : floor(l2);
    std::int64_t c = static_cast<std::int64_t>(ldexp(1.0, static_cast<int>(e)));
    c = c < p.c_min ? p.c_min : (c > p.c_max ? p.c_max : c);
    if (p.guard_fallback > 0) {
      const double buckets = fabs(rint(log2(static_cast<double>(c))) - rint(log2(static_cast<double>(p.guard_fallback))));
      if (buckets < p.guard_min_delta_buckets) c = p.guard_fallback;
    }
    *p.chunk_out = static_cast<std::int32_t>(c);
  }
}

// The proxies' ratio in [0, 1] times ln K (PAPER.md §2.4).
__device__ inline double proxy_native(const StatsParams& p, const Summary& s, double c2, double c4) {
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
  return sampled_count(p) == 0 ? 0.0 : fmin(fmax(ratio, 0.0), 1.0) * log(static_cast<double>(p.bins));
}

// A proxy from a producer's moment partials (StatsTap::moments), by one block: the partials folded in a fixed
// order, the central moments about the sample mean expanded in the power sums over the m finite values
// (Σ(x − μ)² = S2 − 2μS1 + mμ², Σ(x − μ)⁴ = S4 − 4μS3 + 6μ²S2 − 4μ³S1 + mμ⁴), then the rule. The expansion's
// cancellation in fp64 stays far below the proxies' resolution at activation scales; the producer's fp32 sums
// per thread (MomentSums32) leave the result within about 1e-7 relative of the two-pass CPU estimator.
__device__ inline void moments_statistic(const StatsParams& p, const StatsWorkspace& ws, const MomentPartial* parts,
                                         unsigned int n_parts, MomentScratch& scratch) {
  const MomentPartial t = fold_moments(parts, n_parts, scratch);
  if (threadIdx.x != 0) return;
  const double n = static_cast<double>(sampled_count(p));
  const double m = n - static_cast<double>(t.nonfinite);
  Summary s{};
  s.nonfinite = t.nonfinite;
  s.mean = n > 0.0 ? t.s1 / n : 0.0;
  s.mean_abs = n > 0.0 ? t.s_abs / n : 0.0;
  s.mean_sq = n > 0.0 ? t.s2 / n : 0.0;
  const double mu = s.mean, mu2 = mu * mu;
  const double c2 = fmax(t.s2 - 2.0 * mu * t.s1 + m * mu2, 0.0);
  const double c4 = fmax(t.s4 - 4.0 * mu * t.s3 + 6.0 * mu2 * t.s2 - 4.0 * mu2 * mu * t.s1 + m * mu2 * mu2, 0.0);
  finish(p, ws, proxy_native(p, s, n > 0.0 ? c2 / n : 0.0, n > 0.0 ? c4 / n : 0.0), t.nonfinite);
}

// The pass-1 totals as the second pass and the rule use them.
__device__ inline Summary summarize(const StatsParams& p, const Partial1& t) {
  Summary s{};
  s.lo = t.lo;
  s.hi = t.hi;
  s.nonfinite = t.nonfinite;
  const double n = static_cast<double>(sampled_count(p));
  s.mean = t.sum / n;
  s.mean_abs = t.sum_abs / n;
  s.mean_sq = t.sum_sq / n;
  return s;
}

// One bin's share of the histogram entropy's sum: q·ln(q + eps) (log2 for ebits) of its fraction q = count / (n +
// eps) when q > eps, else 0 (PAPER.md §2.2, eps 1e-10; ebits 1e-8).
__device__ inline double entropy_term(const StatsParams& p, unsigned long long count, std::int64_t n) {
  const bool ebits = p.kind == StatKind::ebits;
  const double eps = ebits ? 1e-8 : 1e-10;
  const double q = static_cast<double>(count) / (static_cast<double>(n) + eps);
  return q > eps ? q * (ebits ? log2(q + eps) : log(q + eps)) : 0.0;
}

// The histogram statistic in its native unit from the sum of every bin's entropy_term: 0 for an empty sample or
// a range narrower than 1e-8.
__device__ inline double hist_native(const StatsParams& p, const Summary& s, double term_sum) {
  const double span = static_cast<double>(s.hi) - static_cast<double>(s.lo);
  const bool flat = (p.kind == StatKind::ebits ? fabs(span) : span) < 1e-8;
  return sampled_count(p) == 0 || flat ? 0.0 : -term_sum;
}

// One thread's share of the second and fourth central moments about the sample mean (variance and kurtosis
// proxies); the block's sums through block_reduce's fixed tree.
struct CentralMoments {
  double mean, c2 = 0.0, c4 = 0.0;
  __device__ __forceinline__ void add(float v) {
    if (!isfinite(v)) return;
    const double c = static_cast<double>(v) - mean;
    c2 += c * c;
    c4 += (c * c) * (c * c);
  }
  __device__ Part2 reduce(ReduceScratch& scratch) const {
    Part2 part;
    part.c2 = block_reduce(c2, stats_device::add_d, scratch.d);
    part.c4 = block_reduce(c4, stats_device::add_d, scratch.d);
    return part;
  }
};

__device__ inline bool needs_moments(StatKind kind) { return kind != StatKind::hist && kind != StatKind::ebits; }

// Walks a thread's samples of x[..., ::stride], sample i = (b, d, sampled token t) in row-major order: the thread
// takes i = first + k·step, so its coordinates and element offset advance by fixed steps with carries (the
// divisions once, up front). `offset` is sample i's element offset.
struct SampleWalk {
  int per_row, dim, t, d, step_t, step_d;
  std::int64_t offset, step_off, wrap_t, wrap_d;

  __device__ SampleWalk(const StatsParams& p, int first, int step) {
    per_row = static_cast<int>((p.seqlen + p.stride - 1) / p.stride);
    dim = static_cast<int>(p.dim);
    const std::int64_t t_elems = p.stride * p.sl;
    step_t = step % per_row;
    step_d = step / per_row % dim;
    const int step_b = step / per_row / dim;
    step_off = step_b * p.sb + step_d * p.sd + step_t * t_elems;
    wrap_t = p.sd - per_row * t_elems;  // a token carry moves to the next channel's first token
    wrap_d = p.sb - dim * p.sd;         // a channel carry moves to the next batch row
    t = first % per_row;
    d = first / per_row % dim;
    offset = static_cast<std::int64_t>(first / per_row / dim) * p.sb + d * p.sd + t * t_elems;
  }
  __device__ __forceinline__ void next() {
    t += step_t;
    const bool carry_t = t >= per_row;
    t -= carry_t ? per_row : 0;
    d += step_d + carry_t;
    const bool carry_d = d >= dim;
    d -= carry_d ? dim : 0;
    offset += step_off + (carry_t ? wrap_t : 0) + (carry_d ? wrap_d : 0);
  }
};

// Dynamic shared memory of a block of blocks_statistic: one copy of the K counters per warp, then its samples.
__host__ __device__ inline std::int64_t blocks_statistic_bytes(std::int64_t samples, int blocks, int threads,
                                                               int bins) {
  const std::int64_t warps = (threads + 31) / 32;
  const std::int64_t step = static_cast<std::int64_t>(blocks) * threads;
  return (warps * bins + (samples + step - 1) / step * threads) * 4;
}

// Every block of `blocks` resident blocks arrives; returns once all have. `count` is zero before the first
// arrival and is left at `blocks`.
__device__ inline void blocks_barrier(unsigned int* count, unsigned int blocks) {
  __syncthreads();
  if (threadIdx.x == 0) {
    __threadfence();
    atomicAdd(count, 1u);
    unsigned int seen;
    do {
      asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(seen) : "l"(count) : "memory");
      if (seen < blocks) __nanosleep(64);
    } while (seen < blocks);
  }
  __syncthreads();
}

// A whole statistic of x[..., ::stride] (every kind but token_hist) computed by `blocks` co-resident blocks of
// any size, this one of rank `rank`, beside other work of their grid (the routed scan's statistic blocks,
// scan_kernel.cu): each loads its share of the samples once into shared memory (loading scattered samples is
// what takes the time: one SM fetches about 300 of them per µs beside a scan), the blocks exchange pass-1
// partials through ws.partials, fold them in rank order (the same bits in every block), add their histograms
// into ws.hist (integer counts: order-free) or leave their moment partials, and rank 0 reduces, re-zeroes
// ws.hist and calls finish(). `shared`: blocks_statistic_bytes of dynamic shared memory; `sync`: three zeroed
// words (two barriers and the count of blocks done), left zeroed.
template <IoType io>
__device__ void blocks_statistic(const StatsParams& p, const StatsWorkspace& ws, unsigned int* shared, int rank,
                                 int blocks, unsigned int* sync) {
  constexpr int kInFlight = 8;
  __shared__ ReduceScratch scratch;
  using T = typename Elem<io>::T;
  const T* x = static_cast<const T*>(p.x);
  const int n = static_cast<int>(sampled_count(p));
  const int threads = static_cast<int>(blockDim.x);
  const int tid = static_cast<int>(threadIdx.x);
  const int warps = (threads + 31) / 32;
  unsigned int* bins = shared;
  float* samples = reinterpret_cast<float*>(shared + warps * p.bins) + tid;  // sample k of the thread at k·threads
  Partial1* parts1 = static_cast<Partial1*>(ws.partials);
  Part2* parts2 = reinterpret_cast<Part2*>(parts1 + blocks);

  const int first = rank * threads + tid;
  const int step = blocks * threads;
  SampleWalk walk(p, first, step);
  const int count = first < n ? (n - 1 - first) / step + 1 : 0;
  for (int k0 = 0; k0 < count; k0 += kInFlight) {
    float v[kInFlight];
#pragma unroll
    for (int k = 0; k < kInFlight; ++k) {
      v[k] = k0 + k < count ? to_f32<io>(x[walk.offset]) : 0.0f;
      walk.next();
    }
#pragma unroll
    for (int k = 0; k < kInFlight; ++k)
      if (k0 + k < count) samples[(k0 + k) * threads] = v[k];
  }
  const auto for_mine = [&](auto&& f) {
#pragma unroll 1
    for (int k = 0; k < count; ++k) f(samples[k * threads]);
  };

  // Pass 1: the block's partial, then every block folds all of them in rank order.
  const bool hist = !needs_moments(p.kind);
  const auto pass1 = [&](auto moments_tag) {
    constexpr bool kMoments = decltype(moments_tag)::value;
    Pass1Accumulator<kMoments> acc;
    for_mine([&](float v) { acc.add(v); });
    const Partial1 part = acc.reduce(scratch);
    if (tid == 0) parts1[rank] = part;
    blocks_barrier(&sync[0], blocks);
    Pass1Accumulator<kMoments> all;
    for (int r = 0; r < blocks; ++r) {
      const volatile Partial1& q = parts1[r];
      all.merge(q);
    }
    return summarize(p, Partial1{all.lo, all.hi, all.nonfinite, all.sum, all.sum_abs, all.sum_sq});
  };
  const Summary s = hist ? pass1(std::false_type{}) : pass1(std::true_type{});

  double native = 0.0;
  if (hist) {
    for (int i = tid; i < warps * p.bins; i += threads) bins[i] = 0;
    __syncthreads();
    const PaperBins bin(s.lo, static_cast<float>(static_cast<double>(s.hi) - static_cast<double>(s.lo) + 1e-8), p.bins);
    unsigned int* mine = bins + (tid / 32) * p.bins;
    for_mine([&](float v) {
      if (isfinite(v)) atomicAdd(&mine[bin(v)], 1u);
    });
    __syncthreads();
    for (int i = tid; i < p.bins; i += threads) {
      unsigned int c = 0;
      for (int w = 0; w < warps; ++w) c += bins[w * p.bins + i];
      if (c) atomicAdd(&ws.hist[i], static_cast<unsigned long long>(c));
    }
    blocks_barrier(&sync[1], blocks);
    if (rank == 0) {
      double term = 0.0;
      for (int i = tid; i < p.bins; i += threads) {
        const unsigned long long c = __ldcg(&ws.hist[i]);
        __stcg(&ws.hist[i], 0ull);
        term += entropy_term(p, c, n);
      }
      native = hist_native(p, s, block_reduce(term, add_d, scratch.d));
    }
  } else if (p.kind != StatKind::cheap_proxy) {
    CentralMoments m{s.mean};
    for_mine([&](float v) { m.add(v); });
    const Part2 part = m.reduce(scratch);
    if (tid == 0) parts2[rank] = part;
    blocks_barrier(&sync[1], blocks);
    if (rank == 0 && tid == 0) {
      double c2 = 0.0, c4 = 0.0;
      for (int r = 0; r < blocks; ++r) {
        const volatile Part2& q = parts2[r];
        c2 += q.c2;
        c4 += q.c4;
      }
      native = proxy_native(p, s, c2 / static_cast<double>(n), c4 / static_cast<double>(n));
    }
  } else {
    blocks_barrier(&sync[1], blocks);
    native = proxy_native(p, s, 0.0, 0.0);
  }
  if (rank == 0 && tid == 0) finish(p, ws, native, s.nonfinite);
  // The last block out re-zeroes the barriers (every block has passed both).
  if (tid == 0 && atomicAdd(&sync[2], 1u) == static_cast<unsigned int>(blocks) - 1) {
    sync[0] = 0;
    sync[1] = 0;
    sync[2] = 0;
  }
}

}  // namespace corey::cuda::stats_device
