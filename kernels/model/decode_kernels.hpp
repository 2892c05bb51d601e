#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "scan_params.hpp"

namespace corey::cuda {

// The batch-1 decode step of KERNELS.md §1.2 / §7.5 as three fused kernels per layer (plus the embedding and
// the head), each streaming its weights once with 16-byte loads, so one token is 3·layers + 2 graph nodes:
//   in_proj:  RMSNorm of the fp32 residual fused into the in_proj GEMV, one warp per channel (its x and z
//             rows); x goes straight through the conv window update and SiLU (u); each block then writes its
//             channels' share of x_proj·u (per-block partial sums, no atomics);
//   ssm:      the x_proj partials summed in a fixed order (deterministic), dt_proj GEMV + softplus + state
//             update in the canonical order (§1.3) + D skip + gate;
//   out_proj: GEMV with the residual add.
// Every kernel is launched with programmatic dependent launch: it prefetches its weights into L2, then waits
// for its predecessor (griddepcontrol.wait), so weight streaming overlaps the previous kernel's tail. The
// weights are the only thing read before the wait. Activations are rounded to `io` where prefill stores them
// in `io`, so both paths see the same values up to the GEMM summation order.
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
  float* hidden = nullptr;  // [M] fp32 residual
  void* u = nullptr;        // [D]
  void* z = nullptr;        // [D]
  float* partials = nullptr;  // [decode_partial_blocks(D), R + 32]
  void* y = nullptr;        // [D]
};

// Number of in_proj blocks, each writing one row of x_proj partial sums.
int decode_partial_blocks(int D);

void launch_decode_embed(const std::int32_t* id, const void* embeddings, const DecodeShape& s, float* hidden,
                         cudaStream_t stream);
void launch_decode_layer(const DecodeLayer& layer, const DecodeShape& s, const DecodeScratch& x, cudaStream_t stream);
// logits[v] = head[v, :] · RMSNorm(hidden)·norm_f (fp32 logits).
void launch_decode_head(const float* hidden, const float* norm_f, const void* head, const DecodeShape& s,
                        float* logits, cudaStream_t stream);

}  // namespace corey::cuda
