#include "prefill_kernels.hpp"

#include "cuda_check.hpp"
#include "model_device.cuh"

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

template <typename T>
__global__ void conv_silu_kernel(const T* x, const float* w, const float* b, const T* state, std::int64_t L,
                                 std::int64_t ld, int K, T* u, float* u_f32) {
  const std::int64_t d = blockIdx.y;
  const std::int64_t t = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (t >= L) return;
  const T* xd = x + d * ld;
  const T* sd = state + d * (K - 1);
  float acc = b[d];
  for (int k = 0; k < K; ++k) {
    const std::int64_t s = t - K + 1 + k;
    const float v = s >= 0 ? to_f32<T>(xd[s]) : to_f32<T>(sd[K - 1 + s]);
    acc = fmaf(w[d * K + k], v, acc);
  }
  const float y = silu(acc);
  const T yt = from_f32<T>(y);
  u[d * ld + t] = yt;
  if (u_f32) u_f32[d * L + t] = to_f32<T>(yt);
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

void launch_conv_silu(const void* x, const float* w, const float* b, const void* state, std::int64_t D,
                      std::int64_t L, std::int64_t ld, int K, void* u, float* u_f32, IoType io, cudaStream_t stream) {
  dispatch_io(io, [&]<typename T>() {
    conv_silu_kernel<T><<<dim3(blocks_for(L, 128), static_cast<unsigned>(D)), 128, 0, stream>>>(
        static_cast<const T*>(x), w, b, static_cast<const T*>(state), L, ld, K, static_cast<T*>(u), u_f32);
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
