// Device helpers shared by the model kernels: element conversion, reductions and the conv's exact SiLU (precise
// expf and division; the file is compiled without --use_fast_math).
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>
#include <utility>

#include "scan_params.hpp"

namespace corey::cuda::model_device {

template <typename T>
__device__ __forceinline__ float to_f32(T x);
template <>
__device__ __forceinline__ float to_f32<float>(float x) { return x; }
template <>
__device__ __forceinline__ float to_f32<__half>(__half x) { return __half2float(x); }
template <>
__device__ __forceinline__ float to_f32<__nv_bfloat16>(__nv_bfloat16 x) { return __bfloat162float(x); }

template <typename T>
__device__ __forceinline__ T from_f32(float x);
template <>
__device__ __forceinline__ float from_f32<float>(float x) { return x; }
template <>
__device__ __forceinline__ __half from_f32<__half>(float x) { return __float2half_rn(x); }
template <>
__device__ __forceinline__ __nv_bfloat16 from_f32<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }

// The value x has once stored in T (round to nearest even).
template <typename T>
__device__ __forceinline__ float round_to(float x) { return to_f32<T>(from_f32<T>(x)); }

// v / (1 + exp(-v)), as the CPU runner computes it (the conv's SiLU; the scan's gate is gate_f32).
__device__ __forceinline__ float silu(float v) { return __fdiv_rn(v, __fadd_rn(1.0f, expf(-v))); }

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Sum over the block in a fixed order (warp butterflies, then warp 0 over the warp sums): deterministic.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
  v = warp_sum(v);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int warps = (blockDim.x + 31) / 32;
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float r = 0.0f;
  for (int w = 0; w < warps; ++w) r += scratch[w];
  return r;
}

// 16-byte vectors of weights: 4 fp32 or 8 half-precision elements.
template <typename T>
struct Vec {
  static constexpr int kElems = 16 / static_cast<int>(sizeof(T));
  // kElems values as one 16-byte vector, element 0 in the lowest bytes (the inverse of a 16-byte load).
  __device__ static uint4 pack(const T* v) {
    if constexpr (sizeof(T) == 4) {
      return make_uint4(__float_as_uint(v[0]), __float_as_uint(v[1]), __float_as_uint(v[2]), __float_as_uint(v[3]));
    } else {
      unsigned w[4];
#pragma unroll
      for (int k = 0; k < 4; ++k) {
        unsigned short lo, hi;
        if constexpr (std::is_same_v<T, __nv_bfloat16>) {
          lo = __bfloat16_as_ushort(v[2 * k]), hi = __bfloat16_as_ushort(v[2 * k + 1]);
        } else {
          lo = __half_as_ushort(v[2 * k]), hi = __half_as_ushort(v[2 * k + 1]);
        }
        w[k] = static_cast<unsigned>(lo) | static_cast<unsigned>(hi) << 16;
      }
      return make_uint4(w[0], w[1], w[2], w[3]);
    }
  }
  __device__ static void unpack(const uint4& raw, float* out) {
    if constexpr (sizeof(T) == 4) {
      out[0] = __uint_as_float(raw.x), out[1] = __uint_as_float(raw.y);
      out[2] = __uint_as_float(raw.z), out[3] = __uint_as_float(raw.w);
    } else if constexpr (std::is_same_v<T, __nv_bfloat16>) {
      // bf16 is the top half of an fp32: widening is a shift (element 2k is the low half of word k).
      const unsigned w[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
      for (int k = 0; k < 4; ++k) {
        out[2 * k] = __uint_as_float(w[k] << 16);
        out[2 * k + 1] = __uint_as_float(w[k] & 0xffff0000u);
      }
    } else {
      const T* e = reinterpret_cast<const T*>(&raw);
#pragma unroll
      for (int j = 0; j < kElems; ++j) out[j] = to_f32<T>(e[j]);
    }
  }
};

// Streams a weight vector once (no L1 allocation: each weight is read once per token).
__device__ __forceinline__ uint4 load_stream(const uint4* p) {
  uint4 v;
  asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p));
  return v;
}

// Dot products of rows row0 … row0 + kRows − 1 (clamped to rows − 1) of a row-major (rows, n) matrix with
// xs (n fp32, shared memory), one warp, every lane ending with the full sums (element loads: the weight
// streams that need bandwidth go through StagedRows below).
template <typename T, int kRows>
__device__ __forceinline__ void warp_dot_rows(const T* W, std::int64_t row0, std::int64_t rows, int n,
                                              const float* xs, float (&acc)[kRows]) {
  const int lane = threadIdx.x % 32;
  const T* row_ptr[kRows];
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    acc[r] = 0.0f;
    row_ptr[r] = W + (row0 + r < rows ? row0 + r : rows - 1) * n;
  }
  for (int i = lane; i < n; i += 32) {
#pragma unroll
    for (int r = 0; r < kRows; ++r) acc[r] = fmaf(to_f32<T>(row_ptr[r][i]), xs[i], acc[r]);
  }
#pragma unroll
  for (int r = 0; r < kRows; ++r) acc[r] = warp_sum(acc[r]);
}

// kRows weight rows of a row-major (rows, n) matrix (n a multiple of the vector width, rows 16-byte aligned),
// staged in one warp's registers kVpl 16-byte vectors per lane at a time ("chunks" of 32·kVpl vectors). A
// decode kernel issues chunk 0 before it waits for its predecessor: the weights do not depend on it, so the
// weight stream overlaps the previous kernels and only activations are read after the wait.
template <typename T, int kRows, int kVpl>
struct StagedRows {
  static constexpr int kV = Vec<T>::kElems;
  static constexpr int kChunk = 32 * kVpl;
  const uint4* row[kRows];
  int nv;
  uint4 raw[kRows][kVpl];

  // Rows row0, row0 + step, …; rows past the end read the last row (their results are discarded).
  __device__ __forceinline__ StagedRows(const T* W, std::int64_t row0, std::int64_t step, std::int64_t rows, int n)
      : nv(n / kV) {
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const std::int64_t i = row0 + r * step;
      row[r] = reinterpret_cast<const uint4*>(W + (i < rows ? i : rows - 1) * n);
    }
  }

  __device__ __forceinline__ void load(int chunk) {
    const int lane = threadIdx.x % 32;
#pragma unroll
    for (int j = 0; j < kVpl; ++j) {
      const int i = chunk * kChunk + j * 32 + lane;
#pragma unroll
      for (int r = 0; r < kRows; ++r) raw[r][j] = i < nv ? load_stream(row[r] + i) : make_uint4(0u, 0u, 0u, 0u);
    }
  }

  // acc[r] += this lane's share of chunk `chunk` · xs (fp32, shared memory, 16-byte aligned).
  __device__ __forceinline__ void fma(int chunk, const float* xs, float (&acc)[kRows]) const {
    const int lane = threadIdx.x % 32;
#pragma unroll
    for (int j = 0; j < kVpl; ++j) {
      const int i = chunk * kChunk + j * 32 + lane;
      if (i < nv) {
        float x[kV];
#pragma unroll
        for (int q = 0; q < kV / 4; ++q) {
          const float4 v = reinterpret_cast<const float4*>(xs)[i * (kV / 4) + q];
          x[4 * q] = v.x, x[4 * q + 1] = v.y, x[4 * q + 2] = v.z, x[4 * q + 3] = v.w;
        }
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
          float w[kV];
          Vec<T>::unpack(raw[r][j], w);
#pragma unroll
          for (int e = 0; e < kV; ++e) acc[r] = fmaf(w[e], x[e], acc[r]);
        }
      }
    }
  }

  // The full dot products with xs, chunk 0 already loaded; every lane ends with the sums.
  __device__ __forceinline__ void dot(const float* xs, float (&acc)[kRows]) {
#pragma unroll
    for (int r = 0; r < kRows; ++r) acc[r] = 0.0f;
    fma(0, xs, acc);
    for (int c = 1; c * kChunk < nv; ++c) {
      load(c);
      fma(c, xs, acc);
    }
#pragma unroll
    for (int r = 0; r < kRows; ++r) acc[r] = warp_sum(acc[r]);
  }
};

// Calls f.template operator()<K>() for K, the smallest of 2, 4, 8, …, kMaxVpl vectors per lane that holds a
// row of nv 16-byte vectors in one chunk (kMaxVpl where none does; the rest then streams in further chunks).
template <int kMaxVpl, int K = 2, typename F>
void dispatch_vpl(std::int64_t nv, F&& f) {
  if constexpr (K >= kMaxVpl) {
    f.template operator()<K>();
  } else {
    if (32 * static_cast<std::int64_t>(K) >= nv) {
      f.template operator()<K>();
    } else {
      dispatch_vpl<kMaxVpl, 2 * K>(nv, std::forward<F>(f));
    }
  }
}

// Calls f.template operator()<T>() for the storage type of `io`.
template <typename F>
void dispatch_io(IoType io, F&& f) {
  switch (io) {
    case IoType::f16: f.template operator()<__half>(); return;
    case IoType::bf16: f.template operator()<__nv_bfloat16>(); return;
    case IoType::f32: break;
  }
  f.template operator()<float>();
}

}  // namespace corey::cuda::model_device
