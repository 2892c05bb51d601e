// The `seq` selective-scan kernel (KERNELS.md §7.3): 16 or 8 threads per (batch, channel) holding one or two of
// its 16 states, CH channels per block, time tiles of kTile tokens staged in shared memory (three cp.async
// stages, the next tile preprocessed during the current one's recurrence) independently of the chunk size, the
// recurrence in fully unrolled sub-blocks of kSub tokens, and the canonical operation order of §1.3 so the output
// bits do not depend on how the sequence is chunked.
//
// Programmatic dependent launch (sm_90) between the chunk launches of the `launch` mode: a launch with
// pdl_trigger lets its successor start at entry, and every launch stages and preprocesses its first tile before
// griddepcontrol.wait (which returns at once unless the launch is a programmatic dependent, and otherwise once
// the predecessor has completed and its writes are visible). Only then does it read Q from memory and h_in, and
// it writes global memory only after that, so the ping-pong WAR hazard (chunk k+1 writes the buffer chunk k
// reads) cannot occur whatever the trigger point: the trigger only lets the successor's prologue run early. One
// kernel serves both, so a chunk of `launch` runs the same code as `single`.
//
// The routed scan (seq_scan_routed_kernel, launch_seq_scan_routed) adds a few blocks to the grid that compute the
// statistic choosing Q on SMs the scan leaves idle; the scan blocks, the same code as seq_scan_kernel's, never
// read Q, since it changes nothing they compute: the statistic blocks report the chunks by it. The tapped routed
// scan (seq_scan_tapped_kernel) does the same with one block that folds a proxy's partials from the conv.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <type_traits>

#include "core/error.hpp"
#include "cuda_check.hpp"
#include "programmatic_launch.cuh"
#include "scan_kernel.hpp"
#include "scan_math.cuh"
#include "stats_math.cuh"

namespace corey::cuda {
namespace {

constexpr int kN = 16;
constexpr int kScanMaxThreads = 256;
constexpr int kTile = 64;
constexpr int kSub = 8;
constexpr int kPitch = kTile + 4;  // fp32 row pitch of B/C tiles: 16-byte reads of 8 rows hit distinct banks
constexpr float kLog2e = 1.4426950408889634f;
constexpr unsigned kFullMask = 0xffffffffu;

template <typename T>
struct Io;
template <>
struct Io<float> {
  __device__ static float load(float x) { return x; }
  __device__ static float store(float x) { return x; }
};
template <>
struct Io<__half> {
  __device__ static float load(__half x) { return __half2float(x); }
  __device__ static __half store(float x) { return __float2half_rn(x); }
};
template <>
struct Io<__nv_bfloat16> {
  __device__ static float load(__nv_bfloat16 x) { return __bfloat162float(x); }
  __device__ static __nv_bfloat16 store(float x) { return __float2bfloat16_rn(x); }
};

// Byte offsets of the shared-memory regions; identical on host and device. Three raw stages (tile k in use,
// tile k + 1 waiting to be preprocessed, tile k + 2 in flight) and two processed ones (tile k in use, tile k + 1
// being written while tile k's recurrence runs).
constexpr int kRawStages = 3;
struct Smem {
  int raw_row;     // bytes of one raw activation row (kTile elements)
  int raw_bc_row;  // bytes of one raw B/C row: fp32 rows are read by the recurrence (padded: conflict-free 16-byte
                   // reads of 8 rows), 16-bit ones only by the widening (unpadded, so two 8-lane blocks of 32
                   // channels still fit one SM)
  int raw_bytes;   // one raw stage: u, delta, z (CH rows each) + B, C (16 rows each)
  int proc_bytes;  // one processed stage: delta·u, and for 16-bit I/O delta and the gate (CH fp32 rows each) and B,
                   // C widened to fp32; fp32 I/O keeps delta and the gate in its raw delta and z rows
  int off_proc, total;

  __host__ __device__ Smem(int elem_bytes, bool const_bc, int ch) {
    raw_row = kTile * elem_bytes;
    raw_bc_row = elem_bytes == 4 ? kPitch * 4 : kTile * elem_bytes;
    raw_bytes = 3 * ch * raw_row + (const_bc ? 0 : 2 * kN * raw_bc_row);
    const bool convert_bc = !const_bc && elem_bytes != 4;
    proc_bytes = (elem_bytes == 4 ? 1 : 3) * ch * kTile * 4 + (convert_bc ? 2 * kN * kPitch * 4 : 0);
    off_proc = kRawStages * raw_bytes;
    total = off_proc + 2 * proc_bytes;
  }
};

// Stores without a branch (a divergent `if` would split the unrolled tile into basic blocks).
__device__ __forceinline__ void store_if(float* ptr, float v, bool pred) {
  asm volatile("{\n .reg .pred p;\n setp.ne.b32 p, %2, 0;\n @p st.global.f32 [%0], %1;\n}" ::"l"(ptr), "f"(v),
               "r"(static_cast<int>(pred)) : "memory");
}
__device__ __forceinline__ void store_if(__half* ptr, __half v, bool pred) {
  asm volatile("{\n .reg .pred p;\n setp.ne.b32 p, %2, 0;\n @p st.global.b16 [%0], %1;\n}" ::"l"(ptr),
               "h"(__half_as_ushort(v)), "r"(static_cast<int>(pred)) : "memory");
}
__device__ __forceinline__ void store_if(__nv_bfloat16* ptr, __nv_bfloat16 v, bool pred) {
  asm volatile("{\n .reg .pred p;\n setp.ne.b32 p, %2, 0;\n @p st.global.b16 [%0], %1;\n}" ::"l"(ptr),
               "h"(__bfloat16_as_ushort(v)), "r"(static_cast<int>(pred)) : "memory");
}

__device__ __forceinline__ void cp_async16(void* smem, const void* gmem, int src_bytes) {
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(gmem), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_group 0;\n" ::: "memory"); }
__device__ __forceinline__ void cp_async_wait_all_but_one() { asm volatile("cp.async.wait_group 1;\n" ::: "memory"); }

// Stages `rows` rows of kTile tokens starting at token t (absolute) into dst (row pitch dst_row bytes),
// zero-filling tokens at or beyond t_end. Vector path: 16-byte cp.async with partial zero-fill.
template <typename T>
__device__ __forceinline__ void stage_rows(char* dst, int dst_row, const T* base, std::int64_t row_stride,
                                           std::int64_t sl, int rows, std::int64_t t, std::int64_t t_end,
                                           bool vec, int tid, int nthreads) {
  const std::int64_t valid = t_end - t;
  constexpr int kPer = 16 / static_cast<int>(sizeof(T));
  constexpr int kChunks = kTile / kPer;
  if (vec && valid >= kTile) {
    const T* src0 = base + t;
    for (int i = tid; i < rows * kChunks; i += nthreads) {
      const int r = i / kChunks;
      const int k = (i % kChunks) * kPer;
      cp_async16(dst + r * dst_row + k * static_cast<int>(sizeof(T)), src0 + r * row_stride + k, 16);
    }
  } else if (vec) {
    for (int i = tid; i < rows * kChunks; i += nthreads) {
      const int r = i / kChunks;
      const int k = (i % kChunks) * kPer;
      const std::int64_t left = valid - k;
      const int n = left <= 0 ? 0 : (left >= kPer ? kPer : static_cast<int>(left));
      const T* src = base + r * row_stride + t + k;
      cp_async16(dst + r * dst_row + k * static_cast<int>(sizeof(T)), n > 0 ? src : base,
                 n * static_cast<int>(sizeof(T)));
    }
  } else {
    for (int i = tid; i < rows * kTile; i += nthreads) {
      const int r = i / kTile;
      const int k = i % kTile;
      T v = T(0.0f);
      if (k < valid) v = base[r * row_stride + (t + k) * sl];
      reinterpret_cast<T*>(dst + r * dst_row)[k] = v;
    }
  }
}

// Registers per thread for the 8-lane kernels, whose blocks share SMs (D 5120 at B 1: two blocks of 20 channels;
// B 8: two of 32 in 16-bit). Each of the SM's four schedulers holds its warps' registers in its own 16 K, so w warps
// per SM need at most 16384 / (ceil(w / 4) · 32) each: fp32 with variable B/C left to itself takes 195, two warps
// per scheduler, and a second 5-warp block never fits (D 5120 L 4096: 511 µs, 331 µs at 168); 16-bit and constant
// B/C keep the 128 that two 8-warp blocks per SM need. 16-lane blocks run one per SM: no cap.
template <typename T, bool kConstBC, int kLanes>
constexpr int scan_max_registers() {
  if constexpr (kLanes == 16) return 255;
  if constexpr (sizeof(T) == 4 && !kConstBC) return 168;  // 12 warps per SM
  return 128;                                               // 16 warps per SM
}

// A routed scan's statistic blocks (blocks 0…stat_blocks−1 of its grid) and their three barrier words (`sync`,
// blocks_statistic); blocks stat_blocks… are the plan's scan blocks 0…scan_blocks−1.
struct RoutedGrid {
  unsigned int* sync = nullptr;
  unsigned int scan_blocks = 0;
  unsigned int stat_blocks = 0;
};

// A tapped routed scan (seq_scan_tapped_kernel): block 0 folds a proxy's moment partials (RoutedStatistic::moments)
// and blocks 1… are the plan's scan blocks. A grid type of its own, so the routed kernel's parameters stay as they
// are: its fp32 scan blocks' schedule moves with unrelated edits (kernels/NOTES.md).
struct TappedGrid {
  const stats_device::MomentPartial* moments = nullptr;
  unsigned int moment_parts = 0;
  unsigned int scan_blocks = 0;
};

// What the scan blocks of a routed launch would report, by statistic block 0 once it has written Q: Q changes
// nothing they compute, so each would count ⌈L / Q⌉ chunks, and the counts are read after the launch has completed,
// when every block is done. Reporting it here keeps the scan blocks' tails free of any atomic: at the end of the
// last scan block, one returning atomic and a read of Q cost the D 2048 fp32 scan about 1.4 µs.
template <typename Grid>
__device__ __forceinline__ void report_routed_chunks(const ScanParams& p, const Grid& grid, std::int32_t q_chosen) {
  if (p.q_used) *p.q_used = q_chosen;
  const std::int64_t q = q_chosen > 0 ? q_chosen : p.len;
  if (p.chunk_counter) atomicAdd(p.chunk_counter, static_cast<int>(grid.scan_blocks * ((p.len + q - 1) / q)));
}

// One block of the scan: block block_index() of the plan's grid (a callable, so the index is read where the
// code first needs it, as in a kernel that reads blockIdx itself). kRouted: Q is chosen by the statistic blocks
// of the same launch, which also report the chunks (report_routed_chunks); this block never reads it (no
// checkpoint needs it).
template <typename T, bool kConstBC, int kLanes, bool kRouted, typename BlockIndex>
__device__ __forceinline__ void scan_block(const ScanParams& p, BlockIndex block_index) {
  constexpr int kS = kN / kLanes;  // states per thread: lane l owns states l + kLanes·k
  if (p.pdl_trigger) pdl_trigger();
  extern __shared__ __align__(16) char smem[];
  const int ch = p.channels_per_block;
  const Smem lay(sizeof(T), kConstBC, ch);
  const int tid = threadIdx.x;
  const int nthreads = blockDim.x;
  const int c = tid / kLanes;  // channel within the block
  const int l = tid % kLanes;  // lane within the channel
  const int blocks_per_row = p.dim / ch;
  const int b = block_index() / blocks_per_row;
  const int d0 = (block_index() % blocks_per_row) * ch;
  const int d = d0 + c;
  const int grp = d0 / (p.dim / p.groups);

  const std::int64_t row = static_cast<std::int64_t>(b) * p.dim + d;
  float a2[kS], h[kS], b_const[kS], c_const[kS];
#pragma unroll
  for (int k = 0; k < kS; ++k) {
    const int n = l + kLanes * k;
    b_const[k] = c_const[k] = 0.0f;
    const float a_raw = p.A[static_cast<std::int64_t>(d) * kN + n];
    a2[k] = __fmul_rn(p.a_is_log ? -expf(a_raw) : a_raw, kLog2e);
    if constexpr (kConstBC) {
      const int g = d / (p.dim / p.groups);
      b_const[k] = Io<T>::load(static_cast<const T*>(p.B)[b * p.B_sb + g * p.B_sg + n * p.B_sn]);
      c_const[k] = Io<T>::load(static_cast<const T*>(p.C)[b * p.C_sb + g * p.C_sg + n * p.C_sn]);
    }
  }
  const float dskip = p.D_skip ? p.D_skip[d] : 0.0f;

  const T* u_base = static_cast<const T*>(p.u) + b * p.u_sb + static_cast<std::int64_t>(d0) * p.u_sd;
  const T* dt_base = static_cast<const T*>(p.delta) + b * p.delta_sb + static_cast<std::int64_t>(d0) * p.delta_sd;
  const T* z_base = p.z ? static_cast<const T*>(p.z) + b * p.z_sb + static_cast<std::int64_t>(d0) * p.z_sd : nullptr;
  const T* B_base = static_cast<const T*>(p.B) + b * p.B_sb + grp * p.B_sg;
  const T* C_base = static_cast<const T*>(p.C) + b * p.C_sb + grp * p.C_sg;
  T* out_row = static_cast<T*>(p.out) + b * p.out_sb + static_cast<std::int64_t>(d) * p.out_sd;

  const std::int64_t t_end = p.t0 + p.len;
  const std::int64_t n_tiles = (p.len + kTile - 1) / kTile;
  // Raw stages by slot (the tile index mod kRawStages, which the loop advances by one per tile instead of
  // dividing), processed stages by tile parity.
  auto raw_stage = [&](int slot) { return smem + slot * lay.raw_bytes; };
  auto next_slot = [](int slot) { return slot == kRawStages - 1 ? 0 : slot + 1; };
  auto proc_stage = [&](std::int64_t tile) {
    return smem + lay.off_proc + static_cast<int>(tile & 1) * lay.proc_bytes;
  };
  // Where a tile's processed rows live. fp32 I/O: delta and the gate overwrite the raw delta and z rows (same size;
  // each element rewritten by the thread that read it), so a processed stage holds delta·u only and an 8-lane block
  // of 16 channels fits three times in an SM (12 warps instead of 8). 16-bit I/O: all three in the processed stage.
  struct Rows {
    float* delta;
    float* delta_u;
    float* gate;
  };
  auto rows_of = [&](std::int64_t tile, int slot) -> Rows {
    float* proc = reinterpret_cast<float*>(proc_stage(tile));
    if constexpr (sizeof(T) == 4) {
      char* raw = raw_stage(slot);
      return {reinterpret_cast<float*>(raw + ch * lay.raw_row), proc,
              reinterpret_cast<float*>(raw + 2 * ch * lay.raw_row)};
    } else {
      return {proc, proc + ch * kTile, proc + 2 * ch * kTile};
    }
  };
  // 16-bit I/O: B and C widened to fp32, after the three rows of a processed stage.
  auto widened_bc = [&](std::int64_t tile) { return reinterpret_cast<float*>(proc_stage(tile)) + 3 * ch * kTile; };
  // A full tile on the 16-byte path, the common case, in a few instructions per copy: copy k of a thread is row
  // r0 + k·rstep, chunk c0 of every staged array (rows of kChunks chunks, i = tid + k·nthreads, kChunks divides
  // nthreads), the same in every tile, so each array's source is located once and a tile adds its first token.
  // Per tile and warp (ncu, fp32 D 2048 L 4096) the loop's code outside the recurrence went from 270 to 167 of
  // about 1300 instructions. Other tiles: stage_rows.
  constexpr int kChunks = kTile * static_cast<int>(sizeof(T)) / 16;
  const int copy_r0 = tid / kChunks, copy_rstep = nthreads / kChunks;
  const int copy_col = (tid % kChunks) * 16;  // bytes
  auto first_copy = [&](const T* base, std::int64_t row_stride) {
    return base + copy_r0 * row_stride + copy_col / static_cast<int>(sizeof(T));
  };
  const T* u_copy = first_copy(u_base, p.u_sd);
  const T* dt_copy = first_copy(dt_base, p.delta_sd);
  const T* z_copy = z_base ? first_copy(z_base, p.z_sd) : nullptr;
  const T* B_copy = first_copy(B_base, p.B_sn);
  const T* C_copy = first_copy(C_base, p.C_sn);
  auto copy_rows = [&](char* dst, int dst_row, const T* src, std::int64_t src_row, int rows) {
    dst += copy_r0 * dst_row + copy_col;
    for (int r = copy_r0; r < rows; r += copy_rstep, dst += copy_rstep * dst_row, src += copy_rstep * src_row)
      cp_async16(dst, src, 16);
  };
  auto stage = [&](std::int64_t tile, int slot) {
    char* base = raw_stage(slot);
    const std::int64_t t = p.t0 + tile * kTile;
    const bool full = t_end - t >= kTile;
    char* bc = base + 3 * ch * lay.raw_row;
    if (full && p.act_vec) {
      copy_rows(base, lay.raw_row, u_copy + t, p.u_sd, ch);
      copy_rows(base + ch * lay.raw_row, lay.raw_row, dt_copy + t, p.delta_sd, ch);
      if (z_base) copy_rows(base + 2 * ch * lay.raw_row, lay.raw_row, z_copy + t, p.z_sd, ch);
    } else {
      stage_rows<T>(base, lay.raw_row, u_base, p.u_sd, p.u_sl, ch, t, t_end, p.act_vec, tid, nthreads);
      stage_rows<T>(base + ch * lay.raw_row, lay.raw_row, dt_base, p.delta_sd, p.delta_sl, ch, t, t_end, p.act_vec,
                    tid, nthreads);
      if (z_base)
        stage_rows<T>(base + 2 * ch * lay.raw_row, lay.raw_row, z_base, p.z_sd, p.z_sl, ch, t, t_end, p.act_vec, tid,
                      nthreads);
    }
    if constexpr (!kConstBC) {
      if (full && p.bc_vec) {
        copy_rows(bc, lay.raw_bc_row, B_copy + t, p.B_sn, kN);
        copy_rows(bc + kN * lay.raw_bc_row, lay.raw_bc_row, C_copy + t, p.C_sn, kN);
      } else {
        stage_rows<T>(bc, lay.raw_bc_row, B_base, p.B_sn, p.B_sl, kN, t, t_end, p.bc_vec, tid, nthreads);
        stage_rows<T>(bc + kN * lay.raw_bc_row, lay.raw_bc_row, C_base, p.C_sn, p.C_sl, kN, t, t_end, p.bc_vec, tid,
                      nthreads);
      }
    }
    cp_async_commit();
  };

  // Per-(channel, token) work once per element, canonical steps 1-3 and the gate of step 8, from a raw stage into
  // the rows of rows_of (and 16-bit B/C widened to fp32). Each thread takes kGroups groups of 4 tokens of one channel
  // (CH·kLanes threads cover CH·kTile elements), so its channels and their delta biases are fixed for the launch.
  constexpr int kGroups = kTile / 4 / kLanes;
  float bias_g[kGroups];
#pragma unroll
  for (int i = 0; i < kGroups; ++i)
    bias_g[i] = p.delta_bias ? p.delta_bias[d0 + (tid + i * nthreads) / (kTile / 4)] : 0.0f;
  auto preprocess = [&](std::int64_t tile, int slot) {
    const char* raw = raw_stage(slot);
    const T* u_raw = reinterpret_cast<const T*>(raw);
    const T* dt_raw = reinterpret_cast<const T*>(raw + ch * lay.raw_row);
    const T* z_raw = reinterpret_cast<const T*>(raw + 2 * ch * lay.raw_row);
    const Rows out = rows_of(tile, slot);
    float* dlt = out.delta;
    float* dus = out.delta_u;
    float* gs = out.gate;
#pragma unroll
    for (int i = 0; i < kGroups; ++i) {
      const int gi = tid + i * nthreads;
      const int cc = gi / (kTile / 4);
      const int t4 = (gi % (kTile / 4)) * 4;
      float dl4[4], du4[4], g4[4];
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const float uu = Io<T>::load(u_raw[cc * kTile + t4 + j]);
        const float x = __fadd_rn(Io<T>::load(dt_raw[cc * kTile + t4 + j]), bias_g[i]);
        // Both options computed and one selected: a branch here would split the unrolled tile, and this math is
        // hidden among the recurrence's latencies only inside one basic block. Without z the z row holds stale
        // values, whose gate is discarded.
        const float sp = softplus_f32(x);
        const float del = p.softplus ? sp : x;
        dl4[j] = del;
        du4[j] = __fmul_rn(del, uu);
        const float g = gate_f32(Io<T>::load(z_raw[cc * kTile + t4 + j]));
        g4[j] = z_base ? g : 1.0f;
      }
      *reinterpret_cast<float4*>(dlt + cc * kTile + t4) = make_float4(dl4[0], dl4[1], dl4[2], dl4[3]);
      *reinterpret_cast<float4*>(dus + cc * kTile + t4) = make_float4(du4[0], du4[1], du4[2], du4[3]);
      *reinterpret_cast<float4*>(gs + cc * kTile + t4) = make_float4(g4[0], g4[1], g4[2], g4[3]);
    }
    if constexpr (!kConstBC && sizeof(T) != 4) {
      // Eight elements per step: one 16-byte read, two 16-byte writes (B rows, then C rows, kPitch apart).
      const char* bc_raw = raw + 3 * ch * lay.raw_row;
      float* bcf = widened_bc(tile);
      constexpr int kPerRow = kTile / 8;
      for (int e = tid; e < 2 * kN * kPerRow; e += nthreads) {
        const int r = e / kPerRow;
        const int k = (e % kPerRow) * 8;
        const uint4 q = *reinterpret_cast<const uint4*>(bc_raw + r * lay.raw_bc_row + k * static_cast<int>(sizeof(T)));
        const T* v = reinterpret_cast<const T*>(&q);
        float* dst = bcf + r * kPitch + k;
        *reinterpret_cast<float4*>(dst) =
            make_float4(Io<T>::load(v[0]), Io<T>::load(v[1]), Io<T>::load(v[2]), Io<T>::load(v[3]));
        *reinterpret_cast<float4*>(dst + 4) =
            make_float4(Io<T>::load(v[4]), Io<T>::load(v[5]), Io<T>::load(v[6]), Io<T>::load(v[7]));
      }
    }
  };

  // The pipeline: while tile k's recurrence runs, tile k + 1 is preprocessed (by the same warps, halfway through
  // the recurrence, so its softplus and gate chains overlap the recurrence's instead of idling every warp
  // at a barrier of their own) and tile k + 2 is in flight. One barrier per tile. The preprocessing after the last
  // tile reads a stage nothing wrote and writes one nothing reads; it is not skipped, to keep the unrolled tile
  // free of a branch on the tile index.
  stage(0, 0);
  if (n_tiles > 1) {
    stage(1, 1);
    cp_async_wait_all_but_one();
  } else {
    cp_async_wait_all();
  }
  __syncthreads();
  preprocess(0, 0);

  // What an earlier launch may write: Q from memory and the incoming state; everything this launch writes comes
  // after them. Read at L2 (.cg): this SM's L1 may still hold a line of the ping-pong buffer from a chunk that
  // read it before the predecessor overwrote it. next_end: the first multiple of q after the tokens done,
  // advanced per tile by additions where checkpoints need the chunk ends (three 64-bit divisions per tile cost a
  // 1008-token scan 3 µs of 57).
  pdl_wait();
  std::int64_t q = p.len;  // routed: counted by the statistic blocks
  if constexpr (!kRouted) {
    q = p.q_ptr ? static_cast<std::int64_t>(__ldcg(p.q_ptr)) : p.q;
    if (p.q_used && block_index() == 0 && tid == 0) *p.q_used = static_cast<std::int32_t>(q);
    if (q <= 0) q = p.len;  // invalid Q: one chunk; the host report then shows q_used != requested
  }
  const std::int64_t local_chunks = (p.len + q - 1) / q;                           // chunks of this launch
  const std::int64_t n_chunks = p.ckpt_chunks > 0 ? p.ckpt_chunks : local_chunks;  // checkpoint layout
  std::int64_t next_end = q;
#pragma unroll
  for (int k = 0; k < kS; ++k) h[k] = p.h_in ? __ldcg(p.h_in + row * kN + l + kLanes * k) : 0.0f;
  int slot = 0;
  for (std::int64_t tile = 0; tile < n_tiles; ++tile, slot = next_slot(slot)) {
    const int slot1 = next_slot(slot), slot2 = next_slot(slot1);
    const std::int64_t tile_start = tile * kTile;
    const int valid = static_cast<int>(p.len - tile_start < kTile ? p.len - tile_start : kTile);
    const char* raw = raw_stage(slot);
    const T* u_raw = reinterpret_cast<const T*>(raw);
    const Rows in = rows_of(tile, slot);
    const float* dlt = in.delta;
    const float* dus = in.delta_u;
    const float* gs = in.gate;
    cp_async_wait_all();  // tile + 1, the only stage in flight, has landed
    __syncthreads();      // tile's processed stage and tile + 1's raw one visible to all; tile − 1 done everywhere
    if (tile + 2 < n_tiles) stage(tile + 2, slot2);

    const float* bt = nullptr;
    const float* ct = nullptr;
    if constexpr (!kConstBC) {
      if constexpr (sizeof(T) == 4) {
        bt = reinterpret_cast<const float*>(raw + 3 * ch * lay.raw_row);
        ct = reinterpret_cast<const float*>(raw + 3 * ch * lay.raw_row + kN * lay.raw_bc_row);
      } else {
        bt = widened_bc(tile);
        ct = bt + kN * kPitch;
      }
    }
    const float* dl_row = dlt + c * kTile;
    const float* du_row = dus + c * kTile;
    const std::int64_t tile_end = tile_start + valid;
    T* out_tile = out_row + (p.t0 + tile_start) * p.out_sl;
    // One sub-block of kSub tokens starting at tile offset s (m valid tokens). Canonical steps 4-8.
    auto sub_block = [&](auto masked_tag, int s, int m) {
      constexpr bool kMasked = decltype(masked_tag)::value;
      float del[kSub], duv[kSub], bv[kS][kSub], cv[kS][kSub];
      auto load8 = [](const float* src, float* dst) {
        const float4 x0 = *reinterpret_cast<const float4*>(src);
        const float4 x1 = *reinterpret_cast<const float4*>(src + 4);
        dst[0] = x0.x; dst[1] = x0.y; dst[2] = x0.z; dst[3] = x0.w;
        dst[4] = x1.x; dst[5] = x1.y; dst[6] = x1.z; dst[7] = x1.w;
      };
      load8(dl_row + s, del);
      load8(du_row + s, duv);
#pragma unroll
      for (int k = 0; k < kS; ++k) {
        if constexpr (kConstBC) {
#pragma unroll
          for (int j = 0; j < kSub; ++j) {
            bv[k][j] = b_const[k];
            cv[k][j] = c_const[k];
          }
        } else {
          load8(bt + (l + kLanes * k) * kPitch + s, bv[k]);
          load8(ct + (l + kLanes * k) * kPitch + s, cv[k]);
        }
      }
      // All exp2 of the sub-block first (independent), then the dependent FMA chain(s).
      float da[kS][kSub], dub[kS][kSub], sum[kSub];
#pragma unroll
      for (int k = 0; k < kS; ++k) {
#pragma unroll
        for (int j = 0; j < kSub; ++j) {
          da[k][j] = ex2_approx(__fmul_rn(del[j], a2[k]));
          dub[k][j] = __fmul_rn(duv[j], bv[k][j]);
        }
      }
#pragma unroll
      for (int j = 0; j < kSub; ++j) {
        if (!kMasked || j < m) {
#pragma unroll
          for (int k = 0; k < kS; ++k) h[k] = __fmaf_rn(da[k][j], h[k], dub[k][j]);
          if constexpr (kMasked) {
            const std::int64_t e = tile_start + s + j + 1;
            if (p.ckpt && (e % q == 0 || e == p.len)) {
              float* ck = p.ckpt + (row * n_chunks + p.chunk_base + (e == p.len ? local_chunks - 1 : e / q - 1)) * kN;
#pragma unroll
              for (int k = 0; k < kS; ++k) ck[l + kLanes * k] = h[k];
            }
          }
        }
        // Step 6: with two states per thread the first butterfly level (xor 8) is in registers.
        if constexpr (kS == 2) {
          sum[j] = __fadd_rn(__fmul_rn(h[0], cv[0][j]), __fmul_rn(h[1], cv[1][j]));
        } else {
          sum[j] = __fmul_rn(h[0], cv[0][j]);
        }
      }
      // The remaining levels as a reduce-scatter over the lanes (xor 8, 4, 2 for 16 lanes, then a butterfly
      // xor 1 so lane pairs share a token; xor 4, 2, 1 for 8 lanes): the fixed tree of §1.3 step 6.
      const bool b2 = l & (kLanes / 2), b1 = l & (kLanes / 4), b0 = l & (kLanes / 8);
      float w[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const float send = b2 ? sum[i] : sum[i + 4];
        const float keep = b2 ? sum[i + 4] : sum[i];
        w[i] = __fadd_rn(keep, __shfl_xor_sync(kFullMask, send, kLanes / 2));
      }
      float x2[2];
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        const float send = b1 ? w[i] : w[i + 2];
        const float keep = b1 ? w[i + 2] : w[i];
        x2[i] = __fadd_rn(keep, __shfl_xor_sync(kFullMask, send, kLanes / 4));
      }
      const float send = b0 ? x2[0] : x2[1];
      const float keep = b0 ? x2[1] : x2[0];
      float y = __fadd_rn(keep, __shfl_xor_sync(kFullMask, send, kLanes / 8));
      if constexpr (kLanes == 16) y = __fadd_rn(y, __shfl_xor_sync(kFullMask, y, 1));
      const int token = kLanes == 16 ? l >> 1 : l;
      const int tl = s + token;
      const float uu = Io<T>::load(u_raw[c * kTile + tl]);
      const float yd = __fmaf_rn(dskip, uu, y);            // step 7
      const float o = __fmul_rn(yd, gs[c * kTile + tl]);  // step 8 (gate 1 without z)
      store_if(out_tile + tl * p.out_sl, Io<T>::store(o), (kLanes == 8 || !(l & 1)) && (!kMasked || token < m));
    };

    // Chunk ends e (relative tokens, a chunk covers (e − q, e]) inside this tile, the multiples of q and len: only
    // a checkpoint needs them (counting them in every tile cost Q = 32 2 % of a D 2048 L 4096 scan).
    int ends = 0;
    if (p.ckpt) {
      for (; next_end <= tile_end; next_end += q) ++ends;
      if (tile_end == p.len && p.len % q != 0) ++ends;
    }
    // Fast path: a full tile with no checkpoint to write. A chunk end inside it changes nothing the tile computes
    // (inkernel carries the state across it), so where it falls, even inside a sub-block when kSub does not
    // divide Q (a one-chunk prefill of 1021 tokens), does not matter. Fully unrolled and branch-free, so
    // independent work of neighbouring sub-blocks overlaps; only the h chains are sequential. Otherwise (ragged
    // tile, a checkpoint to write) the masked path, which computes the same values in the same order.
    if (valid == kTile && ends == 0) {
#pragma unroll
      for (int k = 0; k < kTile / kSub; ++k) {
        sub_block(std::false_type{}, k * kSub, kSub);
        // Halfway: measured best of after sub-blocks 0, 1, 3-6.
        if (k == kTile / kSub / 2 - 1) preprocess(tile + 1, slot1);
      }
    } else {
      auto masked_range = [&](int from, int to) {
#pragma unroll 1
        for (int s = from; s < to; s += kSub) sub_block(std::true_type{}, s, valid - s < kSub ? valid - s : kSub);
      };
      masked_range(0, valid < kTile / 2 ? valid : kTile / 2);
      preprocess(tile + 1, slot1);
      masked_range(kTile / 2, valid);
    }
  }
  // The chunks of this launch, all passed: one atomic per block and launch (one per tile, in a branch inside the
  // tile loop, cost 2 to 3 %, single too).
  if constexpr (!kRouted) {
    if (p.chunk_counter && tid == 0) atomicAdd(p.chunk_counter, static_cast<int>(local_chunks));
  }
  if (p.h_out) {
#pragma unroll
    for (int k = 0; k < kS; ++k) p.h_out[row * kN + l + kLanes * k] = h[k];
  }
  if (p.tokens_counter && block_index() == 0 && tid == 0)
    atomicAdd(p.tokens_counter, static_cast<unsigned long long>(p.len));
}

template <typename T, bool kConstBC, int kLanes>
__global__ void __launch_bounds__(kScanMaxThreads) __maxnreg__((scan_max_registers<T, kConstBC, kLanes>()))
    seq_scan_kernel(const ScanParams p) {
  scan_block<T, kConstBC, kLanes, false>(p, [] { return blockIdx.x; });
}

template <typename T>
constexpr IoType kIoOf = std::is_same_v<T, float>    ? IoType::f32
                         : std::is_same_v<T, __half> ? IoType::f16
                                                     : IoType::bf16;

// The routed scan (variable B/C): blocks 0…S−1 compute the statistic that chooses Q, on SMs the scan leaves idle,
// while blocks S… run the scan of the plan's blocks 0…, which never wait for Q. One launch, so the statistic costs
// no launch of its own.
template <typename T, int kLanes>
__global__ void __launch_bounds__(kScanMaxThreads) __maxnreg__((scan_max_registers<T, false, kLanes>()))
    seq_scan_routed_kernel(const ScanParams p, const StatsParams sp, const StatsWorkspace ws, const RoutedGrid grid) {
  if (blockIdx.x < grid.stat_blocks) {
    extern __shared__ __align__(16) unsigned int statistic_shared[];
    stats_device::blocks_statistic<kIoOf<T>>(sp, ws, statistic_shared, static_cast<int>(blockIdx.x),
                                             static_cast<int>(grid.stat_blocks), grid.sync);
    if (blockIdx.x == 0 && threadIdx.x == 0) report_routed_chunks(p, grid, *sp.chunk_out);
    return;
  }
  scan_block<T, false, kLanes, true>(p, [&grid] { return blockIdx.x - grid.stat_blocks; });
}

// The routed scan of a proxy whose producer left its power sums (StatsTap::moments): block 0 folds them and applies
// the rule beside the scan blocks 1…, which never wait for it.
template <typename T, int kLanes>
__global__ void __launch_bounds__(kScanMaxThreads) __maxnreg__((scan_max_registers<T, false, kLanes>()))
    seq_scan_tapped_kernel(const ScanParams p, const StatsParams sp, const StatsWorkspace ws, const TappedGrid grid) {
  if (blockIdx.x == 0) {
    __shared__ stats_device::MomentScratch scratch;
    stats_device::moments_statistic(sp, ws, grid.moments, grid.moment_parts, scratch);
    if (threadIdx.x == 0) report_routed_chunks(p, grid, *sp.chunk_out);
    return;
  }
  scan_block<T, false, kLanes, true>(p, [] { return blockIdx.x - 1; });
}

// The routed kernel's dynamic shared memory: the scan's stages, or a statistic block's counters and samples.
std::size_t routed_shared_bytes(int elem_bytes, int channels, int lanes, std::int64_t samples, int stat_blocks,
                                int bins) {
  return static_cast<std::size_t>(std::max<std::int64_t>(
      Smem(elem_bytes, false, channels).total,
      stats_device::blocks_statistic_bytes(samples, stat_blocks, channels * lanes, bins)));
}

// Sets the kernel's shared-memory attributes once per device (they belong to the calling thread's current device,
// and `--devices` workers drive several). kRouted: seq_scan_routed_kernel (variable B/C); kTapped:
// seq_scan_tapped_kernel.
template <typename T, bool kConstBC, int kLanes, bool kRouted = false, bool kTapped = false>
void prepare_kernel() {
  static std::mutex mutex;
  static std::set<int> prepared;
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  std::lock_guard lock(mutex);
  if (prepared.count(device) != 0) return;
  const auto set = [](auto kernel, std::size_t max_shared_bytes) {
    check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(max_shared_bytes)),
          "cudaFuncSetAttribute(seq_scan_kernel)");
    // All of the SM's L1/shared storage as shared memory: the kernel reads global memory through cp.async (L2)
    // only, and two 115712-byte blocks must fit an SM. The occupancy query honours this preference.
    check(cudaFuncSetAttribute(kernel, cudaFuncAttributePreferredSharedMemoryCarveout,
                               cudaSharedmemCarveoutMaxShared),
          "cudaFuncSetAttribute(seq_scan_kernel carveout)");
  };
  if constexpr (kTapped) {
    set(seq_scan_tapped_kernel<T, kLanes>, Smem(sizeof(T), false, kScanMaxThreads / kLanes).total);
  } else if constexpr (kRouted) {
    set(seq_scan_routed_kernel<T, kLanes>, routed_shared_bytes(sizeof(T), kScanMaxThreads / kLanes, kLanes,
                                                               kStatsClusterMaxSamples, 1, kRoutedMaxBins));
  } else {
    set(seq_scan_kernel<T, kConstBC, kLanes>, Smem(sizeof(T), kConstBC, kScanMaxThreads / kLanes).total);
  }
  prepared.insert(device);
}

template <typename T, bool kConstBC, int kLanes>
void launch_typed(const ScanParams& p, cudaStream_t stream) {
  const Smem lay(sizeof(T), kConstBC, p.channels_per_block);
  const unsigned blocks = static_cast<unsigned>(p.batch) * static_cast<unsigned>(p.dim / p.channels_per_block);
  const unsigned threads = static_cast<unsigned>(p.channels_per_block * kLanes);
  prepare_kernel<T, kConstBC, kLanes>();
  if (!p.pdl_dependent) {
    seq_scan_kernel<T, kConstBC, kLanes><<<blocks, threads, lay.total, stream>>>(p);
    check(cudaGetLastError(), "seq_scan_kernel launch");
    return;
  }
  launch_pdl(seq_scan_kernel<T, kConstBC, kLanes>, blocks, threads, static_cast<std::size_t>(lay.total), stream,
             "seq_scan_kernel launch (dependent)", p);
}

template <typename T, int kLanes>
void launch_routed_typed(const ScanParams& p, const RoutedStatistic& st, cudaStream_t stream) {
  auto kernel = seq_scan_routed_kernel<T, kLanes>;
  prepare_kernel<T, false, kLanes, true>();
  const unsigned scan_blocks = static_cast<unsigned>(p.batch) * static_cast<unsigned>(p.dim / p.channels_per_block);
  const unsigned threads = static_cast<unsigned>(p.channels_per_block * kLanes);
  const std::int64_t samples = stats_device::sampled_count(st.params);
  // The statistic takes the resident slots the scan leaves (loading scattered samples is what bounds it), at
  // least one and at most kRoutedMaxStatBlocks; their count sets the shared memory of every block, against
  // which the residency is checked. Only the statistic blocks wait, for each other: they need slots of their
  // own, which the scan blocks, never waiting, leave as they finish even where other work shares the device.
  int device = 0, sms = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute(SMs)");
  const auto shared_for = [&](unsigned stat_blocks) {
    return routed_shared_bytes(sizeof(T), p.channels_per_block, kLanes, samples, static_cast<int>(stat_blocks),
                               st.params.bins);
  };
  const auto resident = [&](unsigned stat_blocks) {
    int per_sm = 0;
    check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, static_cast<int>(threads),
                                                        shared_for(stat_blocks)),
          "cudaOccupancyMaxActiveBlocksPerMultiprocessor(seq_scan_routed_kernel)");
    return static_cast<std::int64_t>(sms) * per_sm;
  };
  const std::int64_t spare = resident(1) - static_cast<std::int64_t>(scan_blocks);
  if (spare < 1)
    throw_usage_error("CUDA routed scan: " + std::to_string(scan_blocks) +
                      " scan blocks and a statistic block do not fit the device at once (at most " +
                      std::to_string(spare + scan_blocks) + "); route with a separate statistic launch");
  unsigned stat_blocks = static_cast<unsigned>(std::min<std::int64_t>(spare, kRoutedMaxStatBlocks));
  while (stat_blocks > 1 && resident(stat_blocks) < scan_blocks + stat_blocks) --stat_blocks;
  seq_scan_routed_kernel<T, kLanes><<<scan_blocks + stat_blocks, threads, shared_for(stat_blocks), stream>>>(
      p, st.params, st.ws, RoutedGrid{st.flags, scan_blocks, stat_blocks});
  check(cudaGetLastError(), "seq_scan_routed_kernel launch");
}

// Whether a tapped routed launch fits at once: the scan's blocks and the one folding block (shared memory as a
// scan block's).
template <typename T, int kLanes>
bool tapped_fits(const ScanParams& p) {
  prepare_kernel<T, false, kLanes, false, true>();
  int device = 0, sms = 0, per_sm = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute(SMs)");
  check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, seq_scan_tapped_kernel<T, kLanes>,
                                                      p.channels_per_block * kLanes,
                                                      Smem(sizeof(T), false, p.channels_per_block).total),
        "cudaOccupancyMaxActiveBlocksPerMultiprocessor(seq_scan_tapped_kernel)");
  return static_cast<std::int64_t>(sms) * per_sm >= p.batch * (p.dim / p.channels_per_block) + 1;
}

template <typename T, int kLanes>
void launch_tapped_typed(const ScanParams& p, const RoutedStatistic& st, cudaStream_t stream) {
  if (!tapped_fits<T, kLanes>(p))
    throw_usage_error("CUDA routed scan: the scan's blocks and a statistic block do not fit the device at once; "
                      "route with a separate statistic launch");
  const unsigned scan_blocks = static_cast<unsigned>(p.batch) * static_cast<unsigned>(p.dim / p.channels_per_block);
  seq_scan_tapped_kernel<T, kLanes><<<scan_blocks + 1, static_cast<unsigned>(p.channels_per_block * kLanes),
                                      Smem(sizeof(T), false, p.channels_per_block).total, stream>>>(
      p, st.params, st.ws, TappedGrid{st.moments, static_cast<unsigned>(st.moment_parts), scan_blocks});
  check(cudaGetLastError(), "seq_scan_tapped_kernel launch");
}

// Calls f.template operator()<T, kConstBC, kLanes>() for the run-time (io, const_bc, lanes).
template <typename F>
auto dispatch(IoType io, bool const_bc, int lanes, F&& f) {
  auto by_lanes = [&](auto tag_t, auto tag_c) {
    using T = typename decltype(tag_t)::type;
    constexpr bool kC = decltype(tag_c)::value;
    return lanes == 16 ? f.template operator()<T, kC, 16>() : f.template operator()<T, kC, 8>();
  };
  auto by_bc = [&](auto tag_t) {
    return const_bc ? by_lanes(tag_t, std::true_type{}) : by_lanes(tag_t, std::false_type{});
  };
  switch (io) {
    case IoType::f16: return by_bc(std::type_identity<__half>{});
    case IoType::bf16: return by_bc(std::type_identity<__nv_bfloat16>{});
    case IoType::f32: break;
  }
  return by_bc(std::type_identity<float>{});
}

}  // namespace

void prepare_seq_scan(IoType io, bool const_bc, int lanes) {
  // [&]: a capture default keeps the lambda from having a function-pointer conversion (nvcc warning 445).
  dispatch(io, const_bc, lanes, [&]<typename T, bool kC, int kL>() { prepare_kernel<T, kC, kL>(); });
}

int seq_scan_blocks_per_sm(IoType io, bool const_bc, int lanes, int channels_per_block) {
  return dispatch(io, const_bc, lanes, [&]<typename T, bool kC, int kL>() {
    prepare_kernel<T, kC, kL>();
    int blocks = 0;
    check(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, seq_scan_kernel<T, kC, kL>,
                                                        channels_per_block * kL,
                                                        Smem(sizeof(T), kC, channels_per_block).total),
          "cudaOccupancyMaxActiveBlocksPerMultiprocessor(seq_scan_kernel)");
    return blocks;
  });
}

void launch_seq_scan(IoType io, const ScanParams& p, cudaStream_t stream) {
  const bool const_bc = p.B_sl == 0 && p.C_sl == 0;
  dispatch(io, const_bc, p.lanes, [&]<typename T, bool kC, int kL>() { launch_typed<T, kC, kL>(p, stream); });
}

void launch_seq_scan_routed(IoType io, const ScanParams& p, const RoutedStatistic& st, cudaStream_t stream) {
  if (p.B_sl == 0 || p.C_sl == 0) throw_usage_error("CUDA routed scan: B and C must vary in time");
  if (!p.q_ptr || p.q_ptr != st.params.chunk_out || p.ckpt || p.pdl_trigger || p.pdl_dependent || !st.flags)
    throw_usage_error("CUDA routed scan: one inkernel launch without checkpoints that reads the Q its statistic "
                      "writes");
  if (st.moments) {
    if (!is_proxy(st.params.kind) || st.moment_parts < 1)
      throw_usage_error("CUDA routed scan: moment partials are folded for a proxy only, and there must be some");
    dispatch(io, false, p.lanes, [&]<typename T, bool kC, int kL>() {
      if constexpr (!kC) launch_tapped_typed<T, kL>(p, st, stream);
    });
    return;
  }
  if (st.params.kind == StatKind::token_hist || st.params.bins < 1 || st.params.bins > kRoutedMaxBins ||
      stats_device::sampled_count(st.params) > kStatsClusterMaxSamples)
    throw_usage_error("CUDA routed scan: the statistic must be a histogram or a proxy of at most " +
                      std::to_string(kRoutedMaxBins) + " bins over at most " +
                      std::to_string(kStatsClusterMaxSamples) + " sampled values");
  dispatch(io, false, p.lanes, [&]<typename T, bool kC, int kL>() {
    if constexpr (!kC) launch_routed_typed<T, kL>(p, st, stream);
  });
}

bool tapped_scan_fits(IoType io, const ScanParams& p) {
  if (p.B_sl == 0 || p.C_sl == 0) return false;
  return dispatch(io, false, p.lanes, [&]<typename T, bool kC, int kL>() {
    if constexpr (kC) {
      return false;
    } else {
      return tapped_fits<T, kL>(p);
    }
  });
}

}  // namespace corey::cuda
