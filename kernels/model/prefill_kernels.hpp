#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "scan_params.hpp"
#include "stats_tap.hpp"

namespace corey::cuda {

// The element-wise steps of a prefill over L tokens (batch 1); the projections are cuBLAS GEMMs. Tensors
// are token-major (L, M) for the residual stream and channel-major (D, L), time contiguous, for the mixer.
// Activations are stored in `io`; the residual stream is fp32. All launches are stream-ordered. Channel-major
// tensors have a row stride `ld` >= L (padded_tokens(L)), so every channel row starts 16-byte aligned.

// The row stride of channel-major (·, L) activations: L rounded up to 8 elements. cuBLAS picks tensor-core
// kernels only for aligned leading dimensions (prefill at L % 8 != 0 ran 2x slower) and the scan's cp.async
// staging needs 16-byte aligned rows.
inline std::int64_t padded_tokens(std::int64_t L) { return (L + 7) / 8 * 8; }

// hidden[t, :] = embeddings[ids[t], :] in fp32.
void launch_embed(const std::int32_t* ids, std::int64_t L, const void* embeddings, std::int64_t M, IoType io,
                  float* hidden, cudaStream_t stream);

// out[t, :] = w · (x[t, :] · rsqrt(mean(x[t, :]²) + eps)), rounded to `io` (KERNELS.md §3.1 step 3).
void launch_rms_norm(const float* x, std::int64_t rows, std::int64_t M, const float* w, float eps, void* out, IoType io,
                     cudaStream_t stream);

// u[d, t] = silu(b[d] + Σ_k w[d, k] · x[d, t − K + 1 + k]) over [state (D, K − 1) | x (D, L)], x and u with row
// stride ld; also a contiguous (D, L) fp32 copy of u when u_f32 is set (what a host chunk hook reads). With a
// tap (sized for conv_silu_blocks(D, L) blocks) it also does pass 1 of a device statistic of u.
void launch_conv_silu(const void* x, const float* w, const float* b, const void* state, std::int64_t D,
                      std::int64_t L, std::int64_t ld, int K, void* u, float* u_f32, const StatsTap& tap, IoType io,
                      cudaStream_t stream);

// Blocks of launch_conv_silu for (D, L): the partials its tap receives.
int conv_silu_blocks(std::int64_t D, std::int64_t L);
// The moment partials a proxy's tap gets from the conv (StatsTap::parts): one per warp.
int conv_silu_moment_parts(std::int64_t D, std::int64_t L);

// The conv window after the L tokens: the last K − 1 values of [state | x] per channel, in place.
void launch_conv_state_update(const void* x, void* state, std::int64_t D, std::int64_t L, std::int64_t ld, int K,
                              IoType io, cudaStream_t stream);

}  // namespace corey::cuda
