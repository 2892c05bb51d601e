// Device-side activation statistics and the entropy → chunk rule (KERNELS.md §7.4, PAPER.md §2.2–2.4).
// Pass 1: min/max and the non-finite count (plus raw moments for the proxies); pass 2: the K-bin histogram
// (integer atomics, so the counts are deterministic) or the central moments. The last block of each pass
// (ticket counter) reduces the per-block partials through a fixed tree, so every result is run-to-run
// deterministic; the last block of the last pass applies the chunk rule, writes H and Q to device memory and
// leaves the workspace zeroed. cheap_proxy needs only pass 1. token_hist is a third, single-launch kernel
// (per-token histograms over the channels, see stats_token_hist). A histogram whose range the kernel that wrote
// x found (StatsTap) runs pass 2 alone. The histogram's global counters are 32 copies of the bins, a block
// adding into copy blockIdx mod 32, so no counter takes more than 1/32 of the grid's atomics. A sample small
// enough for one thread-block cluster skips all of that: stats_cluster, one launch.
//
// Both passes stream: the work is cut into tiles of (rows × time) so short rows do not idle a block, and a
// tensor read densely from a 16-byte aligned base is read with 16-byte vector loads, several in flight per
// thread. Every path visits exactly the elements x[..., ::stride], each once.
#include <cooperative_groups.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <type_traits>

#include "core/error.hpp"
#include "cuda_check.hpp"
#include "programmatic_launch.cuh"
#include "stats_kernel.hpp"
#include "stats_math.cuh"
#include "stats_partial.cuh"

namespace corey::cuda {
namespace {

using namespace stats_device;

constexpr int kThreads = 256;
constexpr int kThreadsShift = 8;
constexpr int kWarps = kThreads / 32;
constexpr int kVecUnroll = 4;     // 16-byte loads in flight per thread
constexpr int kScalarUnroll = 8;  // element loads in flight per thread on the strided/misaligned path
constexpr int kMaxCopiedBins = 1024;
constexpr int kMaxHistBytes = 32768;  // the largest dynamic shared histogram (1024 bins × 8 copies, 8192 × 1)
constexpr int kMaxBlocksPerSm = 4;
constexpr int kMaxGlobalHistCopies = 32;
// The one-cluster path (stats_cluster): up to kClusterMaxSamples sampled values, each block's per-warp
// histograms in shared memory. 64 registers let a block of it sit beside a 16-lane scan block (8 warps of 224
// registers leave each scheduler 2048).
constexpr int kClusterThreads = 128;
constexpr int kClusterWarps = kClusterThreads / 32;
constexpr int kClusterMaxBlocks = 16;  // above the portable 8: the loads spread over more SMs
constexpr int kClusterPerThread = 16;
constexpr int kClusterMaxRegisters = 64;
constexpr int kClusterMaxBins = 1024;
static_assert(kStatsClusterMaxSamples == std::int64_t{kClusterMaxBlocks} * kClusterThreads * kClusterPerThread);

// The sampled elements as `rows` rows of `len` elements: row r starts at (r / dim)·sb + (r % dim)·sd and its
// samples lie `step` elements apart. A tensor read densely and contiguously is a single row. A slot is one
// element, or with `vec` one 16-byte vector (a row's last slot may be partial). A tile is
// (kThreads >> tw_shift) rows × (unroll << tw_shift) slots; thread i takes row i >> tw_shift of the tile and
// the slots (i & (2^tw_shift − 1)) + k·2^tw_shift, k < unroll.
struct Geometry {
  std::int64_t rows, dim, sb, sd;
  std::int64_t len, step;
  std::int64_t slots;
  std::int64_t tiles_per_row, tiles;
  int tw_shift;
  int unroll;  // ≤ kVecUnroll with vec, else ≤ kScalarUnroll
  bool vec;
};

// a[k] for a run-time k through a chain of selects, so the array stays in registers.
template <typename V, int N>
__device__ __forceinline__ V pick(const V (&a)[N], int k) {
  V r = a[0];
#pragma unroll
  for (int i = 1; i < N; ++i) r = k == i ? a[i] : r;
  return r;
}

// The 16 / sizeof(T) elements of one 16-byte vector (exact conversions, as the scalar path).
template <IoType io, typename F>
__device__ __forceinline__ void visit_vector(const uint4& q, F& f) {
  const unsigned int words[4] = {q.x, q.y, q.z, q.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const unsigned int w = words[i];
    if constexpr (io == IoType::f32) {
      f(__uint_as_float(w));
    } else if constexpr (io == IoType::f16) {
      f(__half2float(__ushort_as_half(static_cast<unsigned short>(w & 0xffffu))));
      f(__half2float(__ushort_as_half(static_cast<unsigned short>(w >> 16))));
    } else {
      f(__bfloat162float(__ushort_as_bfloat16(static_cast<unsigned short>(w & 0xffffu))));
      f(__bfloat162float(__ushort_as_bfloat16(static_cast<unsigned short>(w >> 16))));
    }
  }
}

// Calls f on every element of x[..., ::stride], each once; all loads of a tile are issued before any is used.
// The loop over a thread's vectors or elements is not unrolled: in a routed prefill these kernels run after
// others that evicted their code, and fully unrolled they spent 48–68 % of their warps' time waiting for
// instructions (ncu, tapped histogram at the 130m layer shape: 22.6 µs; 16.6–17.5 µs now, 3–10 %). Rolling the
// elements of a vector as well made large tensors 10–30 % slower.
template <IoType io, typename F>
__device__ __forceinline__ void for_each(const StatsParams& p, const Geometry& g, F&& f) {
  using T = typename Elem<io>::T;
  const T* x = static_cast<const T*>(p.x);
  const int shift = g.tw_shift;
  const int lane = threadIdx.x & ((1 << shift) - 1);
  const std::int64_t rows_per_tile = kThreads >> shift;
  const std::int64_t row_in_tile = threadIdx.x >> shift;
  for (std::int64_t tile = blockIdx.x; tile < g.tiles; tile += gridDim.x) {
    const std::int64_t row = (tile / g.tiles_per_row) * rows_per_tile + row_in_tile;
    if (row >= g.rows) continue;
    const T* r = x + (row / g.dim) * g.sb + (row % g.dim) * g.sd;
    const std::int64_t tile_t = tile % g.tiles_per_row;
    if (g.vec) {
      constexpr int kPerVec = 16 / static_cast<int>(sizeof(T));
      const std::int64_t full = g.len / kPerVec;
      const std::int64_t s0 = tile_t * (static_cast<std::int64_t>(g.unroll) << shift) + lane;
      uint4 q[kVecUnroll];
#pragma unroll
      for (int k = 0; k < kVecUnroll; ++k) {
        const std::int64_t s = s0 + (static_cast<std::int64_t>(k) << shift);
        q[k] = k < g.unroll && s < full ? *reinterpret_cast<const uint4*>(r + s * kPerVec) : make_uint4(0u, 0u, 0u, 0u);
      }
#pragma unroll 1
      for (int k = 0; k < g.unroll; ++k) {
        const std::int64_t s = s0 + (static_cast<std::int64_t>(k) << shift);
        if (s < full) {
          visit_vector<io>(pick(q, k), f);
        } else if (s == full) {
          for (std::int64_t t = s * kPerVec; t < g.len; ++t) f(to_f32<io>(r[t]));
        }
      }
    } else {
      const std::int64_t t0 = tile_t * (static_cast<std::int64_t>(g.unroll) << shift) + lane;
      float v[kScalarUnroll];
#pragma unroll
      for (int k = 0; k < kScalarUnroll; ++k) {
        const std::int64_t t = t0 + (static_cast<std::int64_t>(k) << shift);
        v[k] = k < g.unroll && t < g.len ? to_f32<io>(r[t * g.step]) : 0.0f;
      }
#pragma unroll 1
      for (int k = 0; k < g.unroll; ++k)
        if (t0 + (static_cast<std::int64_t>(k) << shift) < g.len) f(pick(v, k));
    }
  }
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


// The histogram's counters: `copies` copies of the K bins in global memory, block b adding into copy b mod copies,
// so no counter takes more than 1/copies of the grid's atomics; the last block adds the copies and re-zeroes them.
__device__ int global_hist_copies(const StatsParams& p, const StatsWorkspace& ws) {
  int copies = ws.hist_counters / p.bins;
  copies = copies < kMaxGlobalHistCopies ? copies : kMaxGlobalHistCopies;
  copies = copies < static_cast<int>(gridDim.x) ? copies : static_cast<int>(gridDim.x);
  return copies < 1 ? 1 : copies;
}

// kMoments: also the raw moments (the proxies); the histogram needs only min/max.
template <IoType io, bool kMoments>
__global__ void __launch_bounds__(kThreads) stats_pass1(const StatsParams p, const Geometry g, StatsWorkspace ws) {
  __shared__ ReduceScratch scratch;
  Pass1Accumulator<kMoments> acc;
  for_each<io>(p, g, [&](float v) { acc.add(v); });
  const Partial1 part = acc.reduce(scratch);
  Partial1* parts = static_cast<Partial1*>(ws.partials);
  if (threadIdx.x == 0) parts[blockIdx.x] = part;
  if (!is_last_block(&ws.ticket[0])) return;

  // Last block: a fixed tree for a fixed grid (min/max/count do not depend on the order at all).
  const Summary s = summarize(p, stats_device::fold_partials<kMoments>(parts, gridDim.x, scratch));
  if (threadIdx.x != 0) return;
  if (p.kind == StatKind::cheap_proxy) {
    finish(p, ws, proxy_native(p, s, 0.0, 0.0), s.nonfinite);
  } else {
    *reinterpret_cast<Summary*>(parts + gridDim.x) = s;
  }
  ws.ticket[0] = 0;
}

// kTapped: pass 1 of a histogram was done by the kernel that wrote x (StatsTap): every block reads the range
// words. Otherwise the summary comes from stats_pass1.
template <IoType io, bool kTapped>
__global__ void __launch_bounds__(kThreads) stats_pass2(const StatsParams p, const Geometry g, StatsWorkspace ws,
                                                        const unsigned int* tap_range) {
  extern __shared__ unsigned int shist[];
  __shared__ ReduceScratch scratch;
  Partial1* parts1 = static_cast<Partial1*>(ws.partials);
  Summary s;
  if constexpr (kTapped) {
    s = summarize(p, stats_device::read_range(tap_range));
  } else {
    s = *reinterpret_cast<const Summary*>(parts1 + gridDim.x);
  }
  Part2* parts2 = reinterpret_cast<Part2*>(parts1 + gridDim.x + 1);  // after the partials and the summary
  const bool hist = !needs_moments(p.kind);
  const std::int64_t n = sampled_count(p);
  const int copies = hist ? global_hist_copies(p, ws) : 0;
  if (hist) {
    // One histogram copy per warp when it fits (fewer colliding shared atomics on peaked distributions).
    const int warp_copies = p.bins <= kMaxCopiedBins ? kWarps : 1;
    unsigned int* mine = shist + (warp_copies == 1 ? 0 : (threadIdx.x / 32) * p.bins);
    for (int i = threadIdx.x; i < warp_copies * p.bins; i += kThreads) shist[i] = 0;
    __syncthreads();
    // The denominator formed in double and rounded to fp32, as the paper's code does.
    const PaperBins bin(s.lo, static_cast<float>(static_cast<double>(s.hi) - static_cast<double>(s.lo) + 1e-8), p.bins);
    for_each<io>(p, g, [&](float v) {
      if (!isfinite(v)) return;
      atomicAdd(&mine[bin(v)], 1u);
    });
    __syncthreads();
    unsigned long long* counters = ws.hist + static_cast<std::int64_t>(blockIdx.x % copies) * p.bins;
    for (int i = threadIdx.x; i < p.bins; i += kThreads) {
      unsigned int c = 0;
      for (int w = 0; w < warp_copies; ++w) c += shist[w * p.bins + i];
      if (c) atomicAdd(&counters[i], static_cast<unsigned long long>(c));
    }
  } else {
    CentralMoments m{s.mean};
    for_each<io>(p, g, [&](float v) { m.add(v); });
    const Part2 part = m.reduce(scratch);
    if (threadIdx.x == 0) parts2[blockIdx.x] = part;
  }
  if (!is_last_block(&ws.ticket[1])) return;

  // Last block: the statistic in its native unit.
  double native = 0.0;
  if (hist) {
    double term = 0.0;
    for (int i = threadIdx.x; i < p.bins; i += kThreads) {
      // Read at L2 (the other blocks' atomics are there), then re-zeroed for the next run.
      // All copies' loads in flight at once (a loop over a run-time count would wait for each in turn).
      unsigned long long part[kMaxGlobalHistCopies];
#pragma unroll
      for (int j = 0; j < kMaxGlobalHistCopies; ++j)
        part[j] = j < copies ? __ldcg(ws.hist + static_cast<std::int64_t>(j) * p.bins + i) : 0ull;
      unsigned long long c = 0;
#pragma unroll
      for (int j = 0; j < kMaxGlobalHistCopies; ++j) {
        c += part[j];
        if (j < copies) __stcg(ws.hist + static_cast<std::int64_t>(j) * p.bins + i, 0ull);
      }
      term += entropy_term(p, c, n);
    }
    native = hist_native(p, s, block_reduce(term, stats_device::add_d, scratch.d));
  } else {
    double c2 = 0.0, c4 = 0.0;
    for (unsigned int i = threadIdx.x; i < gridDim.x; i += kThreads) {
      const volatile Part2* q = parts2 + i;
      c2 += q->c2;
      c4 += q->c4;
    }
    c2 = block_reduce(c2, stats_device::add_d, scratch.d) / static_cast<double>(n);
    c4 = block_reduce(c4, stats_device::add_d, scratch.d) / static_cast<double>(n);
    native = proxy_native(p, s, c2, c4);
  }
  if (threadIdx.x != 0) return;
  finish(p, ws, native, s.nonfinite);
  ws.ticket[1] = 0;
}

// A small sample in one launch: one thread-block cluster (sm_90) whose threads each load their share of
// x[..., ::stride] once, all loads in flight, and keep it in shared memory; the blocks exchange pass-1 partials, histograms and moment partials
// through distributed shared memory in rank order, and block 0 applies the rule. No global workspace, ticket or
// second read, so the fixed chain is a few cluster barriers instead of the grid path's L2 round trips. The
// dependents may launch at entry: a scan launched after it stages its first tiles while the statistic runs (and
// its registers fit beside it, hence the cap). Deterministic for a given sample (fixed grid, fixed orders).
template <IoType io>
__global__ void __launch_bounds__(kClusterThreads, 65536 / (kClusterThreads * kClusterMaxRegisters))
    stats_cluster(const StatsParams p, StatsWorkspace ws) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  pdl_trigger();
  namespace cg = cooperative_groups;
  const cg::cluster_group cluster = cg::this_cluster();
  // kClusterWarps per-warp copies of the bins, the block's sum, then the thread's samples (sample k of thread i
  // at k·kClusterThreads + i: the loops below read them without bank conflicts).
  extern __shared__ unsigned int shist[];
  __shared__ ReduceScratch scratch;
  __shared__ Partial1 block_part;
  __shared__ Partial1 parts[kClusterMaxBlocks];  // every block's, copied in
  __shared__ Part2 block_moments;
  __shared__ Summary summary;
  const int rank = static_cast<int>(cluster.block_rank());
  const int blocks = static_cast<int>(cluster.num_blocks());
  const bool hist = !needs_moments(p.kind);
  unsigned int* block_hist = shist + kClusterWarps * p.bins;
  if (hist)
    for (int i = threadIdx.x; i < (kClusterWarps + 1) * p.bins; i += kClusterThreads) shist[i] = 0;

  // Thread g of the cluster takes samples g + k·step (SampleWalk). A sample past the end loads element 0: every
  // load is issued unconditionally, all in flight at once.
  using T = typename Elem<io>::T;
  const T* x = static_cast<const T*>(p.x);
  const int n = static_cast<int>(sampled_count(p));
  const int first = rank * kClusterThreads + static_cast<int>(threadIdx.x);
  const int step = blocks * kClusterThreads;
  SampleWalk walk(p, first, step);
  float v[kClusterPerThread];
#pragma unroll
  for (int k = 0; k < kClusterPerThread; ++k) {
    v[k] = to_f32<io>(x[first + k * step < n ? walk.offset : 0]);
    walk.next();
  }
  // Every later pass is a loop that is not unrolled, over the samples in shared memory. With one warp per
  // scheduler nothing hides latency, and straight-line code is fetched once per use: fully unrolled passes took
  // 40 k cycles (ncu) for about 2000 instructions per warp; rolled, 30 k, and the routed scan's overhead fell by
  // a quarter.
  float* samples = reinterpret_cast<float*>(block_hist + p.bins) + threadIdx.x;
#pragma unroll
  for (int k = 0; k < kClusterPerThread; ++k) samples[k * kClusterThreads] = v[k];
  const int mine_count = first < n ? (n - 1 - first) / step + 1 : 0;
  const int count = mine_count < kClusterPerThread ? mine_count : kClusterPerThread;
  const auto for_mine = [&](auto&& f) {
#pragma unroll 1
    for (int k = 0; k < count; ++k) f(samples[k * kClusterThreads]);
  };

  // Pass 1: the block's partial, then every block folds all of them in rank order (the same bits everywhere).
  const auto pass1 = [&](auto moments_tag) {
    constexpr bool kMoments = decltype(moments_tag)::value;
    Pass1Accumulator<kMoments> acc;
    for_mine([&](float x_i) { acc.add(x_i); });
    const Partial1 part = acc.reduce(scratch);
    if (threadIdx.x == 0) block_part = part;
    cluster.sync();
    if (threadIdx.x < blocks) parts[threadIdx.x] = *cluster.map_shared_rank(&block_part, threadIdx.x);
    __syncthreads();
    if (threadIdx.x == 0) {
      Pass1Accumulator<kMoments> all;
      for (int r = 0; r < blocks; ++r) all.merge(parts[r]);
      summary = summarize(p, Partial1{all.lo, all.hi, all.nonfinite, all.sum, all.sum_abs, all.sum_sq});
    }
    __syncthreads();
  };
  if (hist) {
    pass1(std::false_type{});
  } else {
    pass1(std::true_type{});
  }
  const Summary s = summary;

  double native = 0.0;
  if (hist) {
    const PaperBins bin(s.lo, static_cast<float>(static_cast<double>(s.hi) - static_cast<double>(s.lo) + 1e-8), p.bins);
    unsigned int* mine = shist + (threadIdx.x / 32) * p.bins;
    for_mine([&](float x_i) {
      if (isfinite(x_i)) atomicAdd(&mine[bin(x_i)], 1u);
    });
    __syncthreads();
    for (int i = threadIdx.x; i < p.bins; i += kClusterThreads) {
      unsigned int c = 0;
      for (int w = 0; w < kClusterWarps; ++w) c += shist[w * p.bins + i];
      block_hist[i] = c;
    }
    cluster.sync();
    if (rank == 0) {
      double term = 0.0;
      for (int i = threadIdx.x; i < p.bins; i += kClusterThreads) {
        unsigned int c[kClusterMaxBlocks];  // every block's count in flight at once
#pragma unroll
        for (int r = 0; r < kClusterMaxBlocks; ++r) c[r] = r < blocks ? cluster.map_shared_rank(block_hist, r)[i] : 0u;
        unsigned long long total = 0;
#pragma unroll
        for (int r = 0; r < kClusterMaxBlocks; ++r) total += c[r];
        term += entropy_term(p, total, n);
      }
      native = hist_native(p, s, block_reduce(term, stats_device::add_d, scratch.d));
    }
  } else if (p.kind != StatKind::cheap_proxy) {
    CentralMoments m{s.mean};
    for_mine([&](float x_i) { m.add(x_i); });
    const Part2 part = m.reduce(scratch);
    if (threadIdx.x == 0) block_moments = part;
    cluster.sync();
    if (rank == 0) {
      __shared__ Part2 moments[kClusterMaxBlocks];
      if (threadIdx.x < blocks) moments[threadIdx.x] = *cluster.map_shared_rank(&block_moments, threadIdx.x);
      __syncthreads();
      if (threadIdx.x == 0) {
        double c2 = 0.0, c4 = 0.0;
        for (int r = 0; r < blocks; ++r) {
          c2 += moments[r].c2;
          c4 += moments[r].c4;
        }
        native = proxy_native(p, s, c2 / static_cast<double>(n), c4 / static_cast<double>(n));
      }
    }
  } else {
    native = proxy_native(p, s, 0.0, 0.0);
  }
  if (rank == 0 && threadIdx.x == 0) finish(p, ws, native, s.nonfinite);
  cluster.sync();  // no block leaves while another may still read its shared memory
#endif
}

// token_hist (PAPER.md §2 table). A tile is 2^shift (≤ 32) neighbouring sampled tokens of one batch row; thread
// i takes token i mod 2^shift of the tile and the channels (i >> shift) + k·(kThreads >> shift), so one warp
// load reads 2^shift neighbouring tokens of 32 >> shift channel rows.
struct TokenTiles {
  std::int64_t per_row;  // sampled tokens per batch row
  std::int64_t tiles_per_row, tiles;
  int shift;
};

// f on the channel values of one token (`col` points at channel 0, channel rows `sd` elements apart) that this
// thread takes; all loads of a round are issued before any is used.
template <IoType io, typename F>
__device__ __forceinline__ void for_token_channels(const typename Elem<io>::T* col, std::int64_t sd, std::int64_t dim,
                                                   int first, int step, F&& f) {
  for (std::int64_t d0 = first; d0 < dim; d0 += static_cast<std::int64_t>(step) * kScalarUnroll) {
    float v[kScalarUnroll];
#pragma unroll
    for (int k = 0; k < kScalarUnroll; ++k) {
      const std::int64_t d = d0 + static_cast<std::int64_t>(k) * step;
      v[k] = d < dim ? to_f32<io>(col[d * sd]) : 0.0f;
    }
#pragma unroll
    for (int k = 0; k < kScalarUnroll; ++k)
      if (d0 + static_cast<std::int64_t>(k) * step < dim) f(v[k]);
  }
}

// The slot value of a dropped token (span < 1e-8); a kept token's entropy is always finite.
__device__ __forceinline__ double dropped_token() { return __longlong_as_double(0x7ff8000000000000ll); }

// Per tile: min/max per token (non-finite values counted, not binned), the token's histogram with hist's fp32
// bin formula, its entropy summed by one warp in bin order exactly as the CPU loop does (explicit _rn
// operations, so no FMA contraction), one slot per token. The last block (ticket) sums the slots in the CPU's
// order (b outer, t inner) in double and applies the rule; every value is independent of the grid and tiling.
template <IoType io>
__global__ void __launch_bounds__(kThreads) stats_token_hist(const StatsParams p, const TokenTiles tt, StatsWorkspace ws) {
  extern __shared__ unsigned int shist[];  // 2^shift histograms of p.bins counters
  __shared__ float warp_lo[kWarps][32], warp_hi[kWarps][32];
  __shared__ float tok_lo[32], tok_denom[32];
  __shared__ bool tok_valid[32];
  __shared__ unsigned int su[kWarps];
  __shared__ double stage[kThreads];
  using T = typename Elem<io>::T;
  const T* x = static_cast<const T*>(p.x);
  const int tokens = 1 << tt.shift;
  const int j = threadIdx.x & (tokens - 1);
  const int group = threadIdx.x >> tt.shift;
  const int groups = kThreads >> tt.shift;
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const double total = static_cast<double>(p.dim) + 1e-10;
  unsigned int bad = 0;
  for (std::int64_t tile = blockIdx.x; tile < tt.tiles; tile += gridDim.x) {
    const std::int64_t b = tile / tt.tiles_per_row;
    const std::int64_t first = (tile % tt.tiles_per_row) << tt.shift;
    const std::int64_t token = first + j;
    const bool live = token < tt.per_row;
    const T* col = live ? x + b * p.sb + token * p.stride * p.sl : x;
    float lo = __int_as_float(0x7f800000), hi = -__int_as_float(0x7f800000);
    if (live) {
      for_token_channels<io>(col, p.sd, p.dim, group, groups, [&](float v) {
        if (!isfinite(v)) {
          ++bad;
          return;
        }
        lo = fminf(lo, v);
        hi = fmaxf(hi, v);
      });
    }
    // Lanes ≡ j (mod 2^shift) of a warp hold the same token.
    for (int o = 16; o >= tokens; o >>= 1) {
      lo = fminf(lo, __shfl_xor_sync(0xffffffffu, lo, o));
      hi = fmaxf(hi, __shfl_xor_sync(0xffffffffu, hi, o));
    }
    __syncthreads();  // the previous tile's histograms and token table are no longer read
    if (lane < tokens) {
      warp_lo[warp][lane] = lo;
      warp_hi[warp][lane] = hi;
    }
    for (int i = threadIdx.x; i < (p.bins << tt.shift); i += kThreads) shist[i] = 0;
    __syncthreads();
    if (threadIdx.x < tokens) {
      float a = warp_lo[0][j], c = warp_hi[0][j];
      for (int w = 1; w < kWarps; ++w) {
        a = fminf(a, warp_lo[w][j]);
        c = fmaxf(c, warp_hi[w][j]);
      }
      // A token without channels has span −inf and is dropped, as on the CPU.
      const double span = static_cast<double>(c) - static_cast<double>(a);
      const bool valid = live && !(span < 1e-8);
      tok_lo[j] = a;
      tok_denom[j] = static_cast<float>(span + 1e-8);
      tok_valid[j] = valid;
      if (live && !valid) ws.token_h[b * tt.per_row + token] = dropped_token();
    }
    __syncthreads();
    if (tok_valid[j]) {
      const PaperBins bin(tok_lo[j], tok_denom[j], p.bins);
      unsigned int* h = shist + j * p.bins;
      for_token_channels<io>(col, p.sd, p.dim, group, groups, [&](float v) {
        if (!isfinite(v)) return;
        atomicAdd(&h[bin(v)], 1u);
      });
    }
    __syncthreads();
    for (int t = warp; t < tokens; t += kWarps) {
      if (!tok_valid[t]) continue;
      const unsigned int* h = shist + t * p.bins;
      double acc = 0.0;
      for (int k0 = 0; k0 < p.bins; k0 += 32) {
        const int bin = k0 + lane;
        // An unused bin (p ≤ 1e-10, or past K) contributes +0.0, and x − (+0.0) is x bit for bit (signed zeros
        // included), so subtracting every lane's term equals the CPU's skipping of those bins.
        double term = 0.0;
        if (bin < p.bins) {
          const double q = __ddiv_rn(static_cast<double>(h[bin]), total);
          if (q > 1e-10) term = __dmul_rn(q, log(__dadd_rn(q, 1e-10)));
        }
        // The CPU's `h -= p·ln(p + 1e-10)` over these 32 bins in ascending order, one at a time.
#pragma unroll
        for (int l = 0; l < 32; ++l) acc = __dsub_rn(acc, __shfl_sync(0xffffffffu, term, l));
      }
      if (lane == 0) ws.token_h[b * tt.per_row + first + t] = acc;
    }
  }
  unsigned int* bad_parts = static_cast<unsigned int*>(ws.partials);
  const unsigned int block_bad = block_reduce(bad, stats_device::add_u, su);
  if (threadIdx.x == 0) bad_parts[blockIdx.x] = block_bad;
  if (!is_last_block(&ws.ticket[0])) return;

  const volatile unsigned int* parts = bad_parts;
  bad = 0;
  for (unsigned int i = threadIdx.x; i < gridDim.x; i += kThreads) bad += parts[i];
  bad = block_reduce(bad, stats_device::add_u, su);
  // The mean over the kept tokens in the CPU's order; the block stages the slots, thread 0 adds them.
  const std::int64_t n = p.batch * tt.per_row;
  double sum = 0.0;
  std::int64_t valid = 0;
  for (std::int64_t base = 0; base < n; base += kThreads) {
    __syncthreads();
    if (base + threadIdx.x < n) stage[threadIdx.x] = __ldcg(ws.token_h + base + threadIdx.x);
    __syncthreads();
    if (threadIdx.x == 0) {
      const int m = static_cast<int>(n - base < kThreads ? n - base : kThreads);
      for (int i = 0; i < m; ++i) {
        const double h = stage[i];
        if (isnan(h)) continue;
        sum = __dadd_rn(sum, h);
        ++valid;
      }
    }
  }
  if (threadIdx.x != 0) return;
  finish(p, ws, valid == 0 ? 0.0 : __ddiv_rn(sum, static_cast<double>(valid)), bad);
  ws.ticket[0] = 0;
}

std::int64_t element_bytes(IoType io) { return io == IoType::f32 ? 4 : 2; }

Geometry geometry(const StatsParams& p, int max_blocks) {
  const std::int64_t eb = element_bytes(p.io);
  Geometry g{};
  g.rows = p.batch * p.dim;
  g.dim = p.dim;
  g.sb = p.sb;
  g.sd = p.sd;
  g.len = (p.seqlen + p.stride - 1) / p.stride;
  g.step = p.stride * p.sl;
  const bool dense = p.stride == 1 && p.sl == 1;
  if (dense && (p.dim <= 1 || p.sd == p.seqlen) && (p.batch <= 1 || p.sb == p.dim * p.seqlen)) {
    // Row (b, d) starts at (b·dim + d)·seqlen: the whole tensor is one contiguous row.
    g.len = g.rows * p.seqlen;
    g.rows = 1;
    g.dim = 1;
    g.sb = 0;
    g.sd = 0;
  }
  const bool aligned_base = reinterpret_cast<std::uintptr_t>(p.x) % 16 == 0;
  const bool aligned_rows = g.rows <= 1 || ((g.sd * eb) % 16 == 0 && (p.batch <= 1 || (g.sb * eb) % 16 == 0));
  g.vec = dense && aligned_base && aligned_rows;
  const std::int64_t per_slot = g.vec ? 16 / eb : 1;
  g.slots = (g.len + per_slot - 1) / per_slot;
  // The tiling: as few threads along a row as cover it (a short row leaves the others to the next rows); of the
  // unroll depths, the one with the most tiles that still fit the grid (one tile per block: a block with two
  // tiles would double the pass, since every block waits for nothing but its own tiles), else the deepest (a
  // tensor larger than the grid, where one extra tile is a small share).
  Geometry best{};
  for (int unroll = g.vec ? kVecUnroll : kScalarUnroll; unroll >= 1; unroll /= 2) {
    Geometry c = g;
    const std::int64_t per_thread = (c.slots + unroll - 1) / unroll;
    c.tw_shift = 0;
    while (c.tw_shift < kThreadsShift && (std::int64_t{1} << c.tw_shift) < per_thread) ++c.tw_shift;
    const std::int64_t tile_slots = static_cast<std::int64_t>(unroll) << c.tw_shift;
    const std::int64_t rows_per_tile = kThreads >> c.tw_shift;
    c.unroll = unroll;
    c.tiles_per_row = (c.slots + tile_slots - 1) / tile_slots;
    c.tiles = (c.rows + rows_per_tile - 1) / rows_per_tile * c.tiles_per_row;
    if (best.unroll == 0 || c.tiles <= max_blocks) best = c;
    if (c.tiles > max_blocks) break;
  }
  g = best;
  return g;
}

std::size_t hist_shared_bytes(const StatsParams& p) {
  const bool hist = p.kind == StatKind::hist || p.kind == StatKind::ebits;
  return hist ? static_cast<std::size_t>(p.bins) * sizeof(unsigned int) * (p.bins <= kMaxCopiedBins ? kWarps : 1) : 0;
}

template <IoType io>
void launch_typed(const StatsParams& p, const Geometry& g, const StatsWorkspace& ws, int blocks, cudaStream_t stream) {
  const bool hist = p.kind == StatKind::hist || p.kind == StatKind::ebits;
  if (hist) {
    stats_pass1<io, false><<<blocks, kThreads, 0, stream>>>(p, g, ws);
  } else {
    stats_pass1<io, true><<<blocks, kThreads, 0, stream>>>(p, g, ws);
  }
  check(cudaGetLastError(), "stats_pass1 launch");
  if (p.kind == StatKind::cheap_proxy) return;
  stats_pass2<io, false><<<blocks, kThreads, hist_shared_bytes(p), stream>>>(p, g, ws, nullptr);
  check(cudaGetLastError(), "stats_pass2 launch");
}

// stats_cluster's dynamic shared memory: the histograms and the block's samples.
std::size_t cluster_shared_bytes(int bins) {
  return (static_cast<std::size_t>(kClusterWarps + 1) * bins + kClusterPerThread * kClusterThreads) * 4;
}

// Blocks of the cluster: as many as the sample fills (the fewer samples per thread, the shorter the chain of
// loads), at most kClusterMaxBlocks.
int cluster_blocks(const StatsParams& p) {
  const std::int64_t blocks = (sampled_count(p) + kClusterThreads - 1) / kClusterThreads;
  return static_cast<int>(std::clamp<std::int64_t>(blocks, 1, kClusterMaxBlocks));
}

bool fits_one_cluster(const StatsParams& p, const StatsWorkspace& ws) {
  const std::int64_t n = sampled_count(p);
  const bool kind = p.kind != StatKind::token_hist && p.bins <= kClusterMaxBins;
  return kind && n > 0 && n <= std::min<std::int64_t>(ws.cluster_max_samples, kStatsClusterMaxSamples);
}

// The launch of one cluster of `blocks` blocks for `bins` bins; `attr` holds the cluster dimension.
cudaLaunchConfig_t cluster_config(int blocks, int bins, cudaStream_t stream, cudaLaunchAttribute& attr) {
  cudaLaunchConfig_t cfg = {};
  cfg.gridDim = dim3(static_cast<unsigned>(blocks));
  cfg.blockDim = dim3(kClusterThreads);
  cfg.dynamicSmemBytes = cluster_shared_bytes(bins);
  cfg.stream = stream;
  attr.id = cudaLaunchAttributeClusterDimension;
  attr.val.clusterDim.x = static_cast<unsigned>(blocks);
  attr.val.clusterDim.y = 1;
  attr.val.clusterDim.z = 1;
  cfg.attrs = &attr;
  cfg.numAttrs = 1;
  return cfg;
}

template <IoType io>
void launch_cluster_typed(const StatsParams& p, const StatsWorkspace& ws, cudaStream_t stream) {
  cudaLaunchAttribute attr;
  const cudaLaunchConfig_t cfg = cluster_config(cluster_blocks(p), p.bins, stream, attr);
  check(cudaLaunchKernelEx(&cfg, stats_cluster<io>, p, ws), "stats_cluster launch");
}

// A proxy whose producer left its power sums (StatsTap::moments): one block folds them and applies the rule.
__global__ void __launch_bounds__(kThreads) stats_from_moments(const StatsParams p, StatsWorkspace ws,
                                                               const stats_device::MomentPartial* parts,
                                                               unsigned int n_parts) {
  __shared__ stats_device::MomentScratch scratch;
  stats_device::moments_statistic(p, ws, parts, n_parts, scratch);
}

template <IoType io>
void launch_tapped_typed(const StatsParams& p, const Geometry& g, const StatsWorkspace& ws, int blocks,
                         const StatsTap& tap, cudaStream_t stream) {
  stats_pass2<io, true><<<blocks, kThreads, hist_shared_bytes(p), stream>>>(p, g, ws, tap.range);
  check(cudaGetLastError(), "stats_pass2 (tapped) launch");
}

// The widest tile whose histograms fit kMaxHistBytes, narrowed while the grid would not be full, but not below
// the tokens that share a 32-byte sector of a channel row (narrower tiles would read each sector twice).
TokenTiles token_tiles(const StatsParams& p, int max_blocks) {
  TokenTiles tt{};
  tt.per_row = (p.seqlen + p.stride - 1) / p.stride;
  int widest = 5;
  while (widest > 0 && (static_cast<std::int64_t>(p.bins) * 4 << widest) > kMaxHistBytes) --widest;
  const std::int64_t gap_bytes = std::abs(p.stride * p.sl) * element_bytes(p.io);
  int fill = 0;
  while (fill < widest && (gap_bytes << fill) < 32) ++fill;
  const auto tiles = [&](int shift) { return p.batch * ((tt.per_row + (std::int64_t{1} << shift) - 1) >> shift); };
  tt.shift = widest;
  while (tt.shift > fill && tiles(tt.shift) < max_blocks) --tt.shift;
  tt.tiles_per_row = (tt.per_row + (std::int64_t{1} << tt.shift) - 1) >> tt.shift;
  tt.tiles = p.batch * tt.tiles_per_row;
  return tt;
}

template <IoType io>
void launch_token_hist(const StatsParams& p, const StatsWorkspace& ws, cudaStream_t stream) {
  const TokenTiles tt = token_tiles(p, ws.blocks);
  const int blocks = static_cast<int>(std::clamp<std::int64_t>(tt.tiles, 1, ws.blocks));
  const std::size_t hist_bytes = static_cast<std::size_t>(p.bins) * sizeof(unsigned int) << tt.shift;
  stats_token_hist<io><<<blocks, kThreads, hist_bytes, stream>>>(p, tt, ws);
  check(cudaGetLastError(), "stats_token_hist launch");
}

template <typename Kernel>
int co_resident(Kernel kernel, std::size_t shared_bytes) {
  int n = 0;
  check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, kernel, kThreads, shared_bytes),
        "cudaOccupancyMaxActiveBlocksPerMultiprocessor(stats)");
  return n;
}

template <IoType io>
int co_resident_typed() {
  return std::min({co_resident(stats_pass1<io, false>, 0), co_resident(stats_pass1<io, true>, 0),
                   co_resident(stats_pass2<io, false>, kMaxHistBytes),
                   co_resident(stats_pass2<io, true>, kMaxHistBytes)});
}

template <IoType io>
bool cluster_placeable() {
  check(cudaFuncSetAttribute(stats_cluster<io>, cudaFuncAttributeNonPortableClusterSizeAllowed, 1),
        "cudaFuncSetAttribute(stats_cluster)");
  cudaLaunchAttribute attr;
  const cudaLaunchConfig_t cfg = cluster_config(kClusterMaxBlocks, kClusterMaxBins, nullptr, attr);
  int clusters = 0;
  check(cudaOccupancyMaxActiveClusters(&clusters, stats_cluster<io>, &cfg), "cudaOccupancyMaxActiveClusters(stats)");
  return clusters > 0;
}

}  // namespace

std::int64_t stats_cluster_max_samples() {
  int device = 0, cc_major = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  check(cudaDeviceGetAttribute(&cc_major, cudaDevAttrComputeCapabilityMajor, device),
        "cudaDeviceGetAttribute(compute capability)");
  if (cc_major < 9) return 0;  // thread-block clusters are sm_90+
  const bool placeable =
      cluster_placeable<IoType::f32>() && cluster_placeable<IoType::f16>() && cluster_placeable<IoType::bf16>();
  return placeable ? kStatsClusterMaxSamples : 0;
}

int stats_grid_blocks() {
  int device = 0, sms = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute(SMs)");
  const int per_sm = std::min({kMaxBlocksPerSm, co_resident_typed<IoType::f32>(), co_resident_typed<IoType::f16>(),
                               co_resident_typed<IoType::bf16>()});
  return sms * std::max(per_sm, 1);
}

std::size_t stats_partials_bytes(int blocks) {
  static_assert(sizeof(Summary) <= sizeof(Partial1), "the summary occupies one partial slot");
  return static_cast<std::size_t>(blocks + 1) * sizeof(Partial1) + static_cast<std::size_t>(blocks) * sizeof(Part2);
}

void launch_stats(const StatsParams& p, const StatsWorkspace& ws, cudaStream_t stream) {
  if (p.kind == StatKind::token_hist) {
    switch (p.io) {
      case IoType::f32: launch_token_hist<IoType::f32>(p, ws, stream); break;
      case IoType::f16: launch_token_hist<IoType::f16>(p, ws, stream); break;
      case IoType::bf16: launch_token_hist<IoType::bf16>(p, ws, stream); break;
    }
    return;
  }
  if (fits_one_cluster(p, ws)) {
    switch (p.io) {
      case IoType::f32: launch_cluster_typed<IoType::f32>(p, ws, stream); break;
      case IoType::f16: launch_cluster_typed<IoType::f16>(p, ws, stream); break;
      case IoType::bf16: launch_cluster_typed<IoType::bf16>(p, ws, stream); break;
    }
    return;
  }
  const Geometry g = geometry(p, ws.blocks);
  // Both passes use the same grid: the summary and the pass-2 partials sit behind gridDim.x pass-1 partials.
  const int blocks = static_cast<int>(std::clamp<std::int64_t>(g.tiles, 1, ws.blocks));
  switch (p.io) {
    case IoType::f32: launch_typed<IoType::f32>(p, g, ws, blocks, stream); break;
    case IoType::f16: launch_typed<IoType::f16>(p, g, ws, blocks, stream); break;
    case IoType::bf16: launch_typed<IoType::bf16>(p, g, ws, blocks, stream); break;
  }
}

std::size_t stats_moment_tap_bytes(int parts) {
  return static_cast<std::size_t>(std::max(parts, 0)) * sizeof(stats_device::MomentPartial);
}

void launch_stats_tapped(const StatsParams& p, const StatsWorkspace& ws, const StatsTap& tap, cudaStream_t stream) {
  const bool hist = p.kind == StatKind::hist || p.kind == StatKind::ebits;
  const bool proxy = is_proxy(p.kind);
  if (!(hist && tap.range && !tap.wants_moments()) && !(proxy && tap.moments && tap.parts > 0 && tap.wants_moments()))
    throw_usage_error("statistic tap: range words for hist and ebits, moment partials for the proxies");
  if (proxy) {
    stats_from_moments<<<1, kThreads, 0, stream>>>(p, ws, tap.moments, static_cast<unsigned int>(tap.parts));
    check(cudaGetLastError(), "stats_from_moments launch");
    return;
  }
  const Geometry g = geometry(p, ws.blocks);
  const int blocks = static_cast<int>(std::clamp<std::int64_t>(g.tiles, 1, ws.blocks));
  switch (p.io) {
    case IoType::f32: launch_tapped_typed<IoType::f32>(p, g, ws, blocks, tap, stream); break;
    case IoType::f16: launch_tapped_typed<IoType::f16>(p, g, ws, blocks, tap, stream); break;
    case IoType::bf16: launch_tapped_typed<IoType::bf16>(p, g, ws, blocks, tap, stream); break;
  }
}

}  // namespace corey::cuda
