#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "core/half.hpp"
#include "core/json.hpp"

namespace corey::scan {

// Element strides (not bytes) of a (batch, channel, time) tensor.
struct Strides3 {
  std::int64_t b = 0;
  std::int64_t d = 0;
  std::int64_t l = 0;
};

// Element strides of a (batch, group, state, time) tensor. Time-invariant B/C of shape (D, N) (the paper's
// W1 workload) are expressed with groups = D, b = 0, g = N, n = 1, l = 0.
struct Strides4 {
  std::int64_t b = 0;
  std::int64_t g = 0;
  std::int64_t n = 0;
  std::int64_t l = 0;
};

Strides3 contiguous_bdl(std::int64_t dim, std::int64_t seqlen);
Strides4 contiguous_bgnl(std::int64_t groups, std::int64_t dstate, std::int64_t seqlen);

enum class AForm { a_log, a };  // A_log with A = -exp(A_log), or A itself

// One selective-scan problem (KERNELS.md §2.1). Pointers are plain and live in the backend's memory (host
// for the CPU backend, device for CUDA). Nullable pointers are marked; null means zero (or "not wanted").
struct ScanProblem {
  std::int64_t batch = 1;
  std::int64_t dim = 0;         // D channels
  std::int64_t seqlen = 0;      // L
  std::int64_t dstate = 16;     // N
  std::int64_t groups = 1;      // G; channel d uses group d / (dim / groups)
  DType io_dtype = DType::f32;  // u, delta, z, B, C and out; fp32, fp16 or bf16

  const void* u = nullptr;
  Strides3 u_stride;
  const void* delta = nullptr;  // pre-softplus dt
  Strides3 delta_stride;
  const void* z = nullptr;  // nullable: no gate
  Strides3 z_stride;
  const void* B = nullptr;
  Strides4 B_stride;
  const void* C = nullptr;
  Strides4 C_stride;

  const float* A = nullptr;  // (D, N) fp32, row stride dstate
  AForm a_form = AForm::a_log;
  const float* D_skip = nullptr;      // (D,), nullable
  const float* delta_bias = nullptr;  // (D,), nullable
  bool delta_softplus = true;

  const float* h0 = nullptr;  // (B, D, N) fp32 contiguous, nullable = zeros
  float* hT = nullptr;        // (B, D, N) fp32 contiguous, nullable; may alias h0
  void* out = nullptr;        // (B, D, L) in io_dtype
  Strides3 out_stride;
  float* checkpoints = nullptr;  // (B, D, n_chunks, N) fp32: state after each chunk, nullable
};

enum class ChunkMode { single, inkernel, launch, reset, segmented };

std::string_view to_string(ChunkMode mode);
ChunkMode chunk_mode_from_string(std::string_view name);  // throws corey::Error (usage) on an unknown name

// How the sequence is chunked. `chunk` is Q (any positive integer, ragged tail allowed; ignored by
// `single`). When `chunk_ptr` is set, Q is read from it instead (an int32 in the backend's memory, so a
// device-side scheduler can choose Q without a host sync); `launch`/`reset` then need Q on the host.
struct ChunkConfig {
  ChunkMode mode = ChunkMode::inkernel;
  std::int64_t chunk = 0;
  const std::int32_t* chunk_ptr = nullptr;
  int segments = 0;  // `segmented`: number of time segments, 0 = the backend picks
};

// What a scan call actually did (KERNELS.md §7.6): the harness fails a point whose chunk was not honoured.
struct ChunkReport {
  std::string impl;  // "cpu", "cpu-fp64", "seq", "blockscan"
  ChunkMode mode = ChunkMode::single;
  std::int64_t q_requested = 0;
  std::int64_t q_effective = 0;
  std::int64_t chunks_expected = 0;      // ceil(L / Q) (segments for `segmented`, 1 for `single`)
  std::int64_t chunks_executed = 0;      // counted by the implementation while it ran
  std::int64_t tokens = 0;               // time steps processed per (b, d) row; must equal L
  bool recurrence_preserving = true;     // false only for `reset`
  bool bitwise_chunk_invariant = false;  // true when the output bits do not depend on Q
  bool honoured = false;  // q_effective == q_requested && chunks_executed == chunks_expected && tokens == L

  Json to_json() const;
};

// Throws corey::Error (usage) naming the first inconsistency of a problem (sizes, groups, missing tensors,
// an I/O dtype other than fp32/fp16/bf16).
void validate(const ScanProblem& problem);

// Number of chunks of size q covering seqlen tokens (the last may be ragged).
std::int64_t chunk_count(std::int64_t seqlen, std::int64_t q);

// A selective-scan implementation with a runtime chunk size (ARCHITECTURE.md §3).
class ScanOp {
 public:
  virtual ~ScanOp() = default;
  virtual std::string_view impl() const = 0;
  // Empty when the (mode, Q) pair can be honoured, else why not (the point is then skipped at plan time:
  // there is no silent fallback).
  virtual std::string unsupported_reason(const ScanProblem& problem, const ChunkConfig& chunk) const = 0;
  // Runs the scan; throws corey::Error (usage) for an inconsistent problem or an unsupported config.
  virtual ChunkReport run(const ScanProblem& problem, const ChunkConfig& chunk) = 0;
};

}  // namespace corey::scan
