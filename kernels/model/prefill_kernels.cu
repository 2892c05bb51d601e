#include "prefill_kernels.hpp"

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
constexpr std::int64_t kConvTokens = 1024;        // tokens per block along L

enum class ConvTap { none, minmax, moments };

// Warp w of block (x, y) computes channel y·8 + w for tokens [x·1024, (x + 1)·1024), lanes over time. With a
// tap the block also accumulates pass 1 of the statistic over the values it stored (t ≡ 0 mod stride) and
// stores its partial at its block index.
template <typename T, ConvTap kTap>
__global__ void __launch_bounds__(kConvThreads)
    conv_silu_kernel(const T* x, const float* w, const float* b, const T* state, std::int64_t D, std::int64_t L,
                     std::int64_t ld, int K, T* u, float* u_f32, stats_device::Partial1* tap, unsigned int stride) {
  const std::int64_t d = blockIdx.y * static_cast<std::int64_t>(kConvChannels) + threadIdx.x / 32;
  const std::int64_t t0 = blockIdx.x * kConvTokens;
  const std::int64_t t_end = t0 + kConvTokens < L ? t0 + kConvTokens : L;
  stats_device::Pass1Accumulator<kTap == ConvTap::moments> acc;
  if (d < D) {
    const T* xd = x + d * ld;
    const T* sd = state + d * (K - 1);
    const float* wd = w + d * K;
#pragma unroll 4
    for (std::int64_t t = t0 + threadIdx.x % 32; t < t_end; t += 32) {
      float a = b[d];
      for (int k = 0; k < K; ++k) {
        const std::int64_t s = t - K + 1 + k;
        const float v = s >= 0 ? to_f32<T>(xd[s]) : to_f32<T>(sd[K - 1 + s]);
        a = fmaf(wd[k], v, a);
      }
      const T yt = from_f32<T>(silu(a));
      u[d * ld + t] = yt;
      if (u_f32) u_f32[d * L + t] = to_f32<T>(yt);
      if constexpr (kTap != ConvTap::none) {
        if (static_cast<unsigned int>(t) % stride == 0) acc.add(to_f32<T>(yt));
      }
    }
  }
  if constexpr (kTap != ConvTap::none) {
    __shared__ stats_device::ReduceScratch scratch;
    const stats_device::Partial1 part = acc.reduce(scratch);
    if (threadIdx.x == 0) tap[blockIdx.y * gridDim.x + blockIdx.x] = part;
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

void launch_conv_silu(const void* x, const float* w, const float* b, const void* state, std::int64_t D,
                      std::int64_t L, std::int64_t ld, int K, void* u, float* u_f32, const StatsTap& tap, IoType io,
                      cudaStream_t stream) {
  if (L >= (std::int64_t{1} << 31)) throw_usage_error("conv: sequences of 2^31 tokens or more are not supported");
  const dim3 grid(static_cast<unsigned>((L + kConvTokens - 1) / kConvTokens),
                  static_cast<unsigned>((D + kConvChannels - 1) / kConvChannels));
  auto* parts = static_cast<stats_device::Partial1*>(tap.partials);
  const auto stride = static_cast<unsigned int>(tap.stride);
  dispatch_io(io, [&]<typename T>() {
    const auto* xt = static_cast<const T*>(x);
    const auto* st = static_cast<const T*>(state);
    auto* ut = static_cast<T*>(u);
    if (!tap) {
      conv_silu_kernel<T, ConvTap::none><<<grid, kConvThreads, 0, stream>>>(xt, w, b, st, D, L, ld, K, ut, u_f32, parts,
                                                                            stride);
    } else if (tap.moments) {
      conv_silu_kernel<T, ConvTap::moments><<<grid, kConvThreads, 0, stream>>>(xt, w, b, st, D, L, ld, K, ut, u_f32,
                                                                               parts, stride);
    } else {
      conv_silu_kernel<T, ConvTap::minmax><<<grid, kConvThreads, 0, stream>>>(xt, w, b, st, D, L, ld, K, ut, u_f32,
                                                                              parts, stride);
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
