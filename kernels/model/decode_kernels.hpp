#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "scan_params.hpp"

namespace corey::cuda {

constexpr int kMaxDecodeConv = 8;  // conv taps the decode step holds in registers (the model's d_conv)

// The batch-1 decode step of KERNELS.md §1.2 / §7.5 as three fused kernels per layer (plus the embedding and
// the head), each streaming its weights once with 16-byte loads, so one token is 3·layers + 2 graph nodes:
//   in_proj:  RMSNorm of the fp32 residual fused into the in_proj GEMV, one warp per channel (its x and z
//             rows); x goes straight through the conv window update and SiLU (u); each block then writes its
//             channels' share of x_proj·u (per-block partial sums, no atomics);
//   ssm:      the x_proj partials summed in a fixed order (deterministic), dt_proj GEMV + softplus + state
//             update in the canonical order (§1.3) + D skip + gate;
//   out_proj: GEMV with the residual add.
// Every kernel is launched with programmatic dependent launch and loads its weights (and its own layer's
// conv/SSM state, which nothing earlier in the token writes) into registers before it waits for its
// predecessor (griddepcontrol.wait), so the weight stream overlaps the previous kernels' dependent chains;
// activations are read, and anything is written, only after the wait (so a kernel may start while earlier
// ones still run: fp32 kernels let their successor start at entry, half-precision ones after their wait).
// Activations are rounded to `io` where prefill stores them in `io`, so both paths see the same values up to
// the GEMM summation order.
struct DecodeLayer {
  const float* norm = nullptr;     // [M]
  const void* in_proj = nullptr;   // [2D, M]
  const float* conv_w = nullptr;   // [D, K]
  const float* conv_b = nullptr;   // [D]
  const void* x_proj_t = nullptr;  // [D, R + 32] (transposed)
  const void* dt_proj_w = nullptr; // [D, R]
  const float* dt_proj_b = nullptr;
  const float* A_log = nullptr;    // [D, 16]
  const float* D_skip = nullptr;
  const void* out_proj = nullptr;  // [M, D]
  void* conv_state = nullptr;      // [D, K - 1] in io
  float* ssm_state = nullptr;      // [D, 16] fp32
};

struct DecodeShape {
  int M = 0, D = 0, R = 0, K = 4;
  std::int64_t V = 0;
  float eps = 1e-5f;
  IoType io = IoType::f32;
};

struct DecodeScratch {
  float* hidden = nullptr;    // [M] fp32 residual
  void* u = nullptr;          // [D]
  void* z = nullptr;          // [D]
  float* partials = nullptr;  // decode_partials_bytes(shape)
  void* y = nullptr;          // [D]
};

// The x_proj partial sums: one row per in_proj block, R + 32 floats padded to a multiple of 4.
std::size_t decode_partials_bytes(const DecodeShape& s);

void launch_decode_embed(const std::int32_t* id, const void* embeddings, const DecodeShape& s, float* hidden,
                         cudaStream_t stream);
// Throws corey::Error (usage) for a conv width above 8 (the conv taps live in registers).
void launch_decode_layer(const DecodeLayer& layer, const DecodeShape& s, const DecodeScratch& x, cudaStream_t stream);
// logits[v] = head[v, :] · RMSNorm(hidden)·norm_f (fp32 logits).
void launch_decode_head(const float* hidden, const float* norm_f, const void* head, const DecodeShape& s,
                        float* logits, cudaStream_t stream);

}  // namespace corey::cuda
