#include "prefill_kernels.hpp"

#include <string>
#include <type_traits>

#include "core/error.hpp"
#include "cuda_check.hpp"
#include "model_device.cuh"
#include "stats_partial.cuh"

namespace corey::cuda {
namespace {

using namespace model_device;

template <typename T>
__global__ void embed_kernel(const std::int32_t* ids, const T* emb, std::int64_t M, float* hidden) {
  const std::int64_t t = blockIdx.x;
  const T* row = emb + static_cast<std::int64_t>(ids[t]) * M;
  for (std::int64_t m = blockIdx.y * blockDim.x + threadIdx.x; m < M; m += gridDim.y * blockDim.x)
    hidden[t * M + m] = to_f32<T>(row[m]);
}

template <typename T>
__global__ void rms_norm_kernel(const float* x, std::int64_t M, const float* w, float eps, T* out) {
  __shared__ float scratch[32];
  const float* row = x + blockIdx.x * M;
  float ss = 0.0f;
  for (std::int64_t m = threadIdx.x; m < M; m += blockDim.x) ss = fmaf(row[m], row[m], ss);
  const float total = block_sum(ss, scratch);
  const float scale = __fdiv_rn(1.0f, sqrtf(__fadd_rn(__fdiv_rn(total, static_cast<float>(M)), eps)));
  for (std::int64_t m = threadIdx.x; m < M; m += blockDim.x)
    out[blockIdx.x * M + m] = from_f32<T>(__fmul_rn(w[m], __fmul_rn(row[m], scale)));
}

constexpr int kConvThreads = 256;
constexpr int kConvChannels = kConvThreads / 32;  // one warp per channel row
constexpr int kConvGroup = 8;                     // consecutive tokens per lane and step (16-byte loads)
constexpr int kConvSteps = 2;                     // steps per lane, loads of all steps in flight
constexpr std::int64_t kConvTokens = 32 * kConvGroup * kConvSteps;  // tokens per block along L
constexpr int kConvTaps = 8;                      // the most conv taps (the model's d_conv); fewer are predicated

// Warp w of block (x, y) computes channel y·8 + w for tokens [x·512, (x + 1)·512): each lane 8 consecutive
// tokens per step from 16-byte loads of x plus the K − 1 values before them. Taps are indexed k' = k + 8 − K,
// so every register index is a compile-time constant and the FMA order is the plain conv's (k ascending). With
// a tap the block also does pass 1 of a statistic over the values it stored (t ≡ 0 mod stride): a histogram's
// range into the tap's range words, or a proxy's power sums into one moment partial per warp. Rows are 16-byte
// aligned and ld is a multiple of 8 (padded_tokens). kSums: the TapSum bits of a moment tap.
// At most 64 registers (four blocks per SM): the 512 blocks of a (2048, 1008) layer then run in one wave; the
// moment tap at 75-80 registers took two.
enum class ConvTap { none, range, moments };
template <typename T, ConvTap kTap, unsigned kSums = 0>
__global__ void __launch_bounds__(kConvThreads, 4)
    conv_silu_kernel(const T* x, const float* w, const float* b, const T* state, std::int64_t D, std::int64_t L,
                     std::int64_t ld, int K, T* u, float* u_f32, StatsTap tap) {
  constexpr int kV = Vec<T>::kElems;
  const int lane = threadIdx.x % 32;
  const std::int64_t d = blockIdx.y * static_cast<std::int64_t>(kConvChannels) + threadIdx.x / 32;
  std::conditional_t<kTap == ConvTap::moments, stats_device::MomentAccumulator, stats_device::Pass1Accumulator<false>>
      acc;
  stats_device::MomentSums32<kTap == ConvTap::moments ? kSums : kTapSumSq> sums32;
  // Bit j: token t0 + j is sampled (t ≡ 0 mod stride); one division per group, not per token.
  const auto sampled_of = [&](std::int64_t t0, int valid) {
    const auto stride = static_cast<unsigned int>(tap.stride);
    unsigned int sampled = (1u << valid) - 1u;
    if (stride > 1) {
      unsigned int every = 0;
      const unsigned int first = (stride - static_cast<unsigned int>(t0) % stride) % stride;
      for (unsigned int j = first; j < kConvGroup; j += stride) every |= 1u << j;
      sampled &= every;
    }
    return sampled;
  };
  if (d < D) {
    const T* xd = x + d * ld;
    const T* sd = state + d * (K - 1);
    const int skip = kConvTaps - K;  // taps k' < skip do not exist
    float wk[kConvTaps];
#pragma unroll
    for (int k = 0; k < kConvTaps; ++k) wk[k] = k >= skip ? w[d * K + k - skip] : 0.0f;
    const float bias = b[d];
    // win[m] = x[t0 − 7 + m]: 7 values before the group (the state before t = 0), then the group.
    float win[kConvSteps][kConvTaps - 1 + kConvGroup];
    std::int64_t t0[kConvSteps];
#pragma unroll
    for (int s = 0; s < kConvSteps; ++s) {
      t0[s] = blockIdx.x * kConvTokens + (s * 32 + lane) * kConvGroup;
      if (t0[s] >= L) continue;
#pragma unroll
      for (int m = 0; m < kConvTaps - 1; ++m) {
        const std::int64_t t = t0[s] - (kConvTaps - 1) + m;
        win[s][m] = m < skip ? 0.0f : (t >= 0 ? to_f32<T>(xd[t]) : to_f32<T>(sd[K - 1 + t]));
      }
#pragma unroll
      for (int q = 0; q < kConvGroup / kV; ++q)
        Vec<T>::unpack(*reinterpret_cast<const uint4*>(xd + t0[s] + q * kV), &win[s][kConvTaps - 1 + q * kV]);
    }
#pragma unroll
    for (int s = 0; s < kConvSteps; ++s) {
      if (t0[s] >= L) continue;
      T out[kConvGroup];
#pragma unroll
      for (int j = 0; j < kConvGroup; ++j) {
        float a = bias;
#pragma unroll
        for (int k = 0; k < kConvTaps; ++k)
          if (k >= skip) a = fmaf(wk[k], win[s][j + k], a);
        out[j] = from_f32<T>(silu(a));
      }
      T* ud = u + d * ld + t0[s];
      const int valid = L - t0[s] < kConvGroup ? static_cast<int>(L - t0[s]) : kConvGroup;
      if (valid == kConvGroup) {
#pragma unroll
        for (int q = 0; q < kConvGroup / kV; ++q) reinterpret_cast<uint4*>(ud)[q] = Vec<T>::pack(&out[q * kV]);
      } else {
#pragma unroll
        for (int j = 0; j < kConvGroup; ++j)
          if (j < valid) ud[j] = out[j];
      }
      if (u_f32) {
#pragma unroll
        for (int j = 0; j < kConvGroup; ++j)
          if (j < valid) u_f32[d * L + t0[s] + j] = to_f32<T>(out[j]);
      }
      if constexpr (kTap != ConvTap::none) {
        const unsigned int sampled = sampled_of(t0[s], valid);
        if constexpr (kTap == ConvTap::moments) {
          float v[kConvGroup];
#pragma unroll
          for (int j = 0; j < kConvGroup; ++j) v[j] = to_f32<T>(out[j]);
          sums32.add(v, sampled);
        } else {
#pragma unroll
          for (int j = 0; j < kConvGroup; ++j)
            if (sampled >> j & 1u) acc.add(to_f32<T>(out[j]));
        }
      }
    }
    if constexpr (kTap == ConvTap::moments) {
      if (sums32.finite()) {
        acc = sums32.widened();
      } else {
        // Cold: the values this thread wrote, again, in fp64 (counting the non-finite ones).
        for (int s = 0; s < kConvSteps; ++s) {
          const std::int64_t t = blockIdx.x * kConvTokens + (s * 32 + lane) * kConvGroup;
          if (t >= L) continue;
          const int valid = L - t < kConvGroup ? static_cast<int>(L - t) : kConvGroup;
          const unsigned int sampled = sampled_of(t, valid);
          for (int j = 0; j < kConvGroup; ++j)
            if (sampled >> j & 1u) acc.add(to_f32<T>(u[d * ld + t + j]));
        }
      }
    }
  }
  if constexpr (kTap == ConvTap::moments) {
    // One partial per warp: no block barrier at the end of a kernel on the layer's critical path.
    const stats_device::MomentPartial part = acc.warp_reduce();
    if (lane == 0) tap.moments[(blockIdx.y * gridDim.x + blockIdx.x) * kConvChannels + threadIdx.x / 32] = part;
  } else if constexpr (kTap == ConvTap::range) {
    __shared__ stats_device::ReduceScratch scratch;
    const auto part = acc.reduce(scratch);
    if (threadIdx.x == 0) stats_device::publish_range(part, tap.range);
  }
}

template <typename T>
__global__ void conv_state_kernel(const T* x, T* state, std::int64_t D, std::int64_t L, std::int64_t ld, int K) {
  const std::int64_t d = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (d >= D) return;
  T* sd = state + d * (K - 1);
  // Ascending k reads old state index L + k > k only, so the update can be in place.
  for (int k = 0; k < K - 1; ++k) {
    const std::int64_t s = L - (K - 1) + k;
    sd[k] = s >= 0 ? x[d * ld + s] : sd[K - 1 + s];
  }
}

unsigned blocks_for(std::int64_t n, int threads) { return static_cast<unsigned>((n + threads - 1) / threads); }

}  // namespace

void launch_embed(const std::int32_t* ids, std::int64_t L, const void* embeddings, std::int64_t M, IoType io,
                  float* hidden, cudaStream_t stream) {
  dispatch_io(io, [&]<typename T>() {
    embed_kernel<T><<<dim3(static_cast<unsigned>(L), blocks_for(M, 256)), 256, 0, stream>>>(
        ids, static_cast<const T*>(embeddings), M, hidden);
  });
  check(cudaGetLastError(), "embed_kernel launch");
}

void launch_rms_norm(const float* x, std::int64_t rows, std::int64_t M, const float* w, float eps, void* out, IoType io,
                     cudaStream_t stream) {
  dispatch_io(io, [&]<typename T>() {
    rms_norm_kernel<T><<<static_cast<unsigned>(rows), 256, 0, stream>>>(x, M, w, eps, static_cast<T*>(out));
  });
  check(cudaGetLastError(), "rms_norm_kernel launch");
}

int conv_silu_blocks(std::int64_t D, std::int64_t L) {
  return static_cast<int>(((L + kConvTokens - 1) / kConvTokens) * ((D + kConvChannels - 1) / kConvChannels));
}

int conv_silu_moment_parts(std::int64_t D, std::int64_t L) { return conv_silu_blocks(D, L) * kConvChannels; }

void launch_conv_silu(const void* x, const float* w, const float* b, const void* state, std::int64_t D,
                      std::int64_t L, std::int64_t ld, int K, void* u, float* u_f32, const StatsTap& tap, IoType io,
                      cudaStream_t stream) {
  if (L >= (std::int64_t{1} << 31)) throw_usage_error("conv: sequences of 2^31 tokens or more are not supported");
  if (K < 1 || K > kConvTaps || ld % kConvGroup != 0)
    throw_usage_error("conv: need 1 <= d_conv <= " + std::to_string(kConvTaps) +
                      " and a row stride that is a multiple of " + std::to_string(kConvGroup));
  const dim3 grid(static_cast<unsigned>((L + kConvTokens - 1) / kConvTokens),
                  static_cast<unsigned>((D + kConvChannels - 1) / kConvChannels));
  const bool known_sums =
      tap.sums == kCheapProxySums || tap.sums == kVarianceProxySums || tap.sums == kKurtosisProxySums;
  const bool moments_ok = tap.moments && known_sums && tap.parts == conv_silu_moment_parts(D, L);
  if (tap && ((tap.wants_moments() ? !moments_ok : !tap.range) || tap.blocks != conv_silu_blocks(D, L) ||
              tap.stride < 1 || tap.stride >= (std::int64_t{1} << 31)))
    throw_usage_error("conv: a statistics tap needs its storage (range words, or conv_silu_moment_parts(D, L) "
                      "moment partials and a proxy's sums), conv_silu_blocks(D, L) blocks and a stride in [1, 2^31)");
  dispatch_io(io, [&]<typename T>() {
    const auto* xt = static_cast<const T*>(x);
    const auto* st = static_cast<const T*>(state);
    auto* ut = static_cast<T*>(u);
    const auto moments = [&](auto kernel) {
      kernel<<<grid, kConvThreads, 0, stream>>>(xt, w, b, st, D, L, ld, K, ut, u_f32, tap);
    };
    if (!tap) {
      conv_silu_kernel<T, ConvTap::none><<<grid, kConvThreads, 0, stream>>>(xt, w, b, st, D, L, ld, K, ut, u_f32, tap);
    } else if (tap.sums == kCheapProxySums) {
      moments(conv_silu_kernel<T, ConvTap::moments, kCheapProxySums>);
    } else if (tap.sums == kVarianceProxySums) {
      moments(conv_silu_kernel<T, ConvTap::moments, kVarianceProxySums>);
    } else if (tap.sums == kKurtosisProxySums) {
      moments(conv_silu_kernel<T, ConvTap::moments, kKurtosisProxySums>);
    } else {
      conv_silu_kernel<T, ConvTap::range><<<grid, kConvThreads, 0, stream>>>(xt, w, b, st, D, L, ld, K, ut, u_f32, tap);
    }
  });
  check(cudaGetLastError(), "conv_silu_kernel launch");
}

void launch_conv_state_update(const void* x, void* state, std::int64_t D, std::int64_t L, std::int64_t ld, int K,
                              IoType io, cudaStream_t stream) {
  dispatch_io(io, [&]<typename T>() {
    conv_state_kernel<T><<<blocks_for(D, 128), 128, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(state), D,
                                                                 L, ld, K);
  });
  check(cudaGetLastError(), "conv_state_kernel launch");
}

}  // namespace corey::cuda
