#pragma once
#include <cstdint>

namespace corey::cuda {

// Element types the scan kernel is instantiated for (state and arithmetic are always fp32).
enum class IoType : int { f32 = 0, f16 = 1, bf16 = 2 };

// Everything one launch of the `seq` scan kernel needs (KERNELS.md §7.3). Strides are in elements. The
// launch processes tokens [t0, t0 + len) of every (batch, channel) row; chunk bookkeeping is relative to t0.
struct ScanParams {
  int batch = 1;
  int dim = 0;
  int groups = 1;
  int channels_per_block = 8;  // CH: divides dim (and dim / groups when B/C vary in time); CH·lanes % 32 == 0
  int lanes = 16;              // threads per channel: 16 or 8
  std::int64_t t0 = 0;
  std::int64_t len = 0;

  const void* u = nullptr;
  std::int64_t u_sb = 0, u_sd = 0, u_sl = 1;
  const void* delta = nullptr;
  std::int64_t delta_sb = 0, delta_sd = 0, delta_sl = 1;
  const void* z = nullptr;  // null: no gate
  std::int64_t z_sb = 0, z_sd = 0, z_sl = 1;
  const void* B = nullptr;
  std::int64_t B_sb = 0, B_sg = 0, B_sn = 0, B_sl = 1;
  const void* C = nullptr;
  std::int64_t C_sb = 0, C_sg = 0, C_sn = 0, C_sl = 1;
  void* out = nullptr;
  std::int64_t out_sb = 0, out_sd = 0, out_sl = 1;

  const float* A = nullptr;  // (D, 16) row stride 16
  bool a_is_log = true;      // A holds A_log (A = -exp(A_log)) rather than A
  const float* D_skip = nullptr;
  const float* delta_bias = nullptr;
  bool softplus = true;

  const float* h_in = nullptr;  // (B, D, 16) fp32; null = zeros
  float* h_out = nullptr;       // (B, D, 16) fp32; null = not wanted; may alias h_in

  // Chunk bookkeeping: chunks of q tokens (the last may be ragged); q_ptr (device int32) overrides q.
  std::int64_t q = 0;
  const std::int32_t* q_ptr = nullptr;
  std::int64_t chunk_base = 0;     // global index of this launch's first chunk (checkpoint slot)
  std::int64_t ckpt_chunks = 0;    // n_chunks dimension of ckpt; 0 = ceil(len / q) computed in the kernel
  float* ckpt = nullptr;           // (B, D, n_chunks, 16) fp32 state after each chunk; nullable
  std::int32_t* chunk_counter = nullptr;  // += 1 per block per finished chunk; nullable
  std::int32_t* q_used = nullptr;         // the Q the kernel used (written by block 0); nullable
  unsigned long long* tokens_counter = nullptr;  // += len by block 0 (tokens processed per row); nullable

  // 16-byte cp.async staging allowed (time-contiguous, aligned rows); else an element-wise fallback.
  bool act_vec = false;  // u, delta, z
  bool bc_vec = false;   // B, C

  // Programmatic dependent launch (sm_90) between consecutive launches of one plan on one stream. pdl_trigger:
  // the next launch may become resident and run its prologue while this one runs. pdl_dependent: launched as a
  // programmatic dependent of the launch issued immediately before it on the stream (which must be a scan
  // launch); it reads h_in and Q from memory, and writes anything, only after that launch has completed.
  bool pdl_trigger = false;
  bool pdl_dependent = false;
};

}  // namespace corey::cuda
