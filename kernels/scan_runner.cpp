#include "scan_runner.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "backend_stream.hpp"
#include "cuda_check.hpp"
#include "graph_capture.hpp"

namespace corey::cuda {

using scan::ChunkConfig;
using scan::ChunkMode;
using scan::ScanProblem;

IoType io_type(DType dtype) {
  switch (dtype) {
    case DType::f32: return IoType::f32;
    case DType::f16: return IoType::f16;
    case DType::bf16: return IoType::bf16;
    case DType::f64: break;
  }
  throw_usage_error("CUDA scan: I/O dtype must be fp32, fp16 or bf16");
}

namespace {

bool aligned16(const void* ptr, std::int64_t elem_offset_step, std::size_t elem) {
  return reinterpret_cast<std::uintptr_t>(ptr) % 16 == 0 &&
         (static_cast<std::uint64_t>(elem_offset_step) * elem) % 16 == 0;
}

bool const_bc(const ScanProblem& p) { return p.B_stride.l == 0 && p.C_stride.l == 0; }

}  // namespace

ScanRunner::ScanRunner(int device) : device_(device) {
  set_device(device);
  check(cudaDeviceGetAttribute(&sm_count_, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute(SMs)");
  int cc_major = 0;
  check(cudaDeviceGetAttribute(&cc_major, cudaDevAttrComputeCapabilityMajor, device),
        "cudaDeviceGetAttribute(compute capability)");
  programmatic_launch_ = cc_major >= 9;
  stream_ = backend_stream(device);
  check(cudaEventCreate(&ev_start_), "cudaEventCreate");
  check(cudaEventCreate(&ev_stop_), "cudaEventCreate");
  check(cudaMalloc(&counters_dev_, sizeof(Counters)), "cudaMalloc(scan counters)");
  check(cudaMallocHost(&counters_host_, sizeof(Counters)), "cudaMallocHost(scan counters)");
}

ScanRunner::~ScanRunner() {
  if (graph_exec_) cudaGraphExecDestroy(graph_exec_);
  if (ping_) cudaFree(ping_);
  cudaFreeHost(counters_host_);
  cudaFree(counters_dev_);
  cudaEventDestroy(ev_start_);
  cudaEventDestroy(ev_stop_);
}

int ScanRunner::lanes(const ScanProblem& p) const {
  if (lanes_override_ > 0) return lanes_override_;
  // Measured on an H200 (kernels/NOTES.md): below ~2560 (batch, channel) rows the kernel is latency-bound
  // and 16 threads per channel (more warps) win; above, 8 threads with two states each (fewer
  // instructions per state) win.
  return p.batch * p.dim < 2560 ? 16 : 8;
}

int ScanRunner::channels_per_block(const ScanProblem& p) const {
  const int ln = lanes(p);
  const std::int64_t per_group = const_bc(p) ? p.dim : p.dim / p.groups;
  auto valid = [&](int ch) {
    // CH·lanes threads must fill whole warps (the reduction shuffles use full-warp masks).
    return ch >= 1 && (ch * ln) % 32 == 0 && ch * ln <= kScanMaxThreads && p.dim % ch == 0 && per_group % ch == 0;
  };
  if (ch_override_ > 0) return valid(ch_override_) ? ch_override_ : 0;
  // The launch lasts as long as its busiest SM, which runs n = ceil(blocks / SMs) blocks, `fits` at a time (the
  // occupancy: registers, shared memory). The kernel is latency-bound, so an SM's throughput grows with its
  // resident warps, less than linearly: a round of m blocks of w warps takes m·CH / (m·w)^0.6 (the exponent fits
  // 0.5–0.7 equally well on H200 sweeps of this kernel, kernels/NOTES.md: the choice is best or within 2.6 % of it
  // at all 14 swept shapes; fp32 B 8 D 5120 L 4096 2480 us at CH 20, two blocks per SM, against 2809 us at CH 32).
  // Take the CH with the shortest busiest SM, then the most channels per block.
  const IoType io = io_type(p.io_dtype);
  auto round_time = [&](std::int64_t blocks_at_once, int ch) {
    const double warps = static_cast<double>(blocks_at_once * ch * ln) / 32.0;
    return static_cast<double>(blocks_at_once * ch) / std::pow(warps, 0.6);
  };
  int best = 0;
  double best_time = 0.0;
  for (int ch = kScanMaxThreads / ln; ch >= 1; --ch) {
    if (!valid(ch)) continue;
    const std::int64_t fits = seq_scan_blocks_per_sm(io, const_bc(p), ln, ch);
    if (fits == 0) continue;
    const std::int64_t per_sm = (p.batch * (p.dim / ch) + sm_count_ - 1) / sm_count_;
    const double time = static_cast<double>(per_sm / fits) * round_time(fits, ch) +
                        (per_sm % fits != 0 ? round_time(per_sm % fits, ch) : 0.0);
    if (best == 0 || time < best_time * (1.0 - 1e-9)) {
      best = ch;
      best_time = time;
    }
  }
  return best;
}

std::string ScanRunner::unsupported_reason(const ScanProblem& p, const ChunkConfig& chunk) const {
  if (p.dstate != kScanStates) return "the CUDA seq kernel supports d_state 16 only";
  if (p.io_dtype == DType::f64) return "the CUDA seq kernel has no fp64 I/O";
  if (p.batch <= 0 || p.dim <= 0 || p.seqlen <= 0 || p.groups <= 0 || p.dim % p.groups != 0)
    return "inconsistent problem shape";
  if ((p.B_stride.l == 0) != (p.C_stride.l == 0)) return "B and C must both vary in time or both be constant";
  if (channels_per_block(p) == 0)
    return ch_override_ > 0 ? "channels per block " + std::to_string(ch_override_) + " does not divide the channels"
                            : "no channel count per block fills whole warps and divides dim (per group)";
  switch (chunk.mode) {
    case ChunkMode::single: break;
    case ChunkMode::inkernel:
      if (!chunk.chunk_ptr && chunk.chunk <= 0) return "inkernel needs a positive chunk or a device chunk pointer";
      break;
    case ChunkMode::launch:
    case ChunkMode::reset:
      if (!chunk.chunk_ptr && chunk.chunk <= 0) return "launch/reset need a positive chunk";
      break;
    case ChunkMode::segmented: return "segmented mode is not implemented by the CUDA seq kernel";
  }
  return {};
}

ScanParams ScanRunner::base_params(const ScanProblem& p, int ch) const {
  // Zeroed bytes (padding included): captured graphs are keyed by a memcmp of the launch parameters.
  ScanParams k;
  std::memset(static_cast<void*>(&k), 0, sizeof(k));
  k.batch = static_cast<int>(p.batch);
  k.dim = static_cast<int>(p.dim);
  k.groups = static_cast<int>(p.groups);
  k.channels_per_block = ch;
  k.lanes = lanes(p);
  k.u = p.u;
  k.u_sb = p.u_stride.b, k.u_sd = p.u_stride.d, k.u_sl = p.u_stride.l;
  k.delta = p.delta;
  k.delta_sb = p.delta_stride.b, k.delta_sd = p.delta_stride.d, k.delta_sl = p.delta_stride.l;
  k.z = p.z;
  k.z_sb = p.z_stride.b, k.z_sd = p.z_stride.d, k.z_sl = p.z_stride.l;
  k.B = p.B;
  k.B_sb = p.B_stride.b, k.B_sg = p.B_stride.g, k.B_sn = p.B_stride.n, k.B_sl = p.B_stride.l;
  k.C = p.C;
  k.C_sb = p.C_stride.b, k.C_sg = p.C_stride.g, k.C_sn = p.C_stride.n, k.C_sl = p.C_stride.l;
  k.out = p.out;
  k.out_sb = p.out_stride.b, k.out_sd = p.out_stride.d, k.out_sl = p.out_stride.l;
  k.A = p.A;
  k.a_is_log = p.a_form == scan::AForm::a_log;
  k.D_skip = p.D_skip;
  k.delta_bias = p.delta_bias;
  k.softplus = p.delta_softplus;
  k.chunk_counter = &counters_dev_->chunks;
  k.q_used = &counters_dev_->q_used;
  k.tokens_counter = &counters_dev_->tokens;
  return k;
}

void ScanRunner::ensure_workspace(std::int64_t state_floats) {
  if (ping_floats_ >= state_floats) return;
  if (ping_) cudaFree(ping_);
  ping_ = nullptr;
  ping_floats_ = 0;
  check(cudaMalloc(&ping_, static_cast<std::size_t>(2 * state_floats) * sizeof(float)), "cudaMalloc(scan state ping-pong)");
  ping_floats_ = state_floats;
}

std::vector<ScanParams> ScanRunner::plan(const ScanProblem& p, const ChunkConfig& chunk, std::int64_t q) {
  const int ch = channels_per_block(p);
  const std::size_t elem = dtype_bytes(p.io_dtype);
  ScanParams base = base_params(p, ch);
  auto set_vec = [&](ScanParams& k) {
    const bool act = p.u_stride.l == 1 && p.delta_stride.l == 1 && (!p.z || p.z_stride.l == 1) &&
                     aligned16(p.u, p.u_stride.b, elem) && aligned16(p.u, p.u_stride.d, elem) &&
                     aligned16(p.delta, p.delta_stride.b, elem) && aligned16(p.delta, p.delta_stride.d, elem) &&
                     (!p.z || (aligned16(p.z, p.z_stride.b, elem) && aligned16(p.z, p.z_stride.d, elem)));
    const bool bc = p.B_stride.l == 1 && p.C_stride.l == 1 && aligned16(p.B, p.B_stride.b, elem) &&
                    aligned16(p.B, p.B_stride.g, elem) && aligned16(p.B, p.B_stride.n, elem) &&
                    aligned16(p.C, p.C_stride.b, elem) && aligned16(p.C, p.C_stride.g, elem) &&
                    aligned16(p.C, p.C_stride.n, elem);
    const bool t0_ok = (static_cast<std::uint64_t>(k.t0) * elem) % 16 == 0;
    k.act_vec = act && t0_ok;
    k.bc_vec = bc && t0_ok;
  };

  std::vector<ScanParams> launches;
  const std::int64_t L = p.seqlen;
  if (chunk.mode == ChunkMode::single || chunk.mode == ChunkMode::inkernel) {
    ScanParams k;
    std::memcpy(static_cast<void*>(&k), &base, sizeof(k));
    k.t0 = 0;
    k.len = L;
    k.q = chunk.mode == ChunkMode::single ? L : chunk.chunk;
    k.q_ptr = chunk.mode == ChunkMode::inkernel ? chunk.chunk_ptr : nullptr;
    k.h_in = p.h0;
    k.h_out = p.hT;
    k.ckpt = p.checkpoints;
    set_vec(k);
    launches.push_back(k);
  } else {
    const std::int64_t n_chunks = scan::chunk_count(L, q);
    const std::int64_t state = p.batch * p.dim * kScanStates;
    ensure_workspace(state);
    // `launch` chains its chunks with programmatic dependent launch (the next chunk stages its first tile while
    // this one finishes); `reset` keeps the paper's independent launches.
    const bool chain = chunk.mode == ChunkMode::launch && programmatic_launch_;
    for (std::int64_t c = 0; c < n_chunks; ++c) {
      ScanParams k;
      std::memcpy(static_cast<void*>(&k), &base, sizeof(k));
      k.t0 = c * q;
      k.len = std::min(q, L - k.t0);
      k.q = q;  // len <= q: exactly one chunk per launch
      k.q_used = c == 0 ? base.q_used : nullptr;
      k.chunk_base = c;
      k.ckpt_chunks = n_chunks;
      k.ckpt = p.checkpoints;
      if (chunk.mode == ChunkMode::reset) {
        k.h_in = nullptr;
      } else {
        k.h_in = c == 0 ? p.h0 : ping_ + ((c - 1) % 2) * state;
      }
      k.h_out = c == n_chunks - 1 ? p.hT : ping_ + (c % 2) * state;
      k.pdl_trigger = chain && c + 1 < n_chunks;
      k.pdl_dependent = chain && c > 0;
      set_vec(k);
      launches.push_back(k);
    }
  }
  return launches;
}

void ScanRunner::enqueue_launches(const ScanProblem& p, const ChunkConfig& chunk, std::int64_t q) {
  const IoType io = io_type(p.io_dtype);
  const std::vector<ScanParams> launches = plan(p, chunk, q);

  auto issue = [&] {
    for (const ScanParams& k : launches) launch_seq_scan(io, k, stream_);
  };
  const bool graph = use_graph_ && (chunk.mode == ChunkMode::launch || chunk.mode == ChunkMode::reset);
  prepare_seq_scan(io, const_bc(p), lanes(p));
  // The counters are reset outside the timed region (and outside any graph).
  check(cudaMemsetAsync(counters_dev_, 0, sizeof(Counters), stream_), "cudaMemsetAsync(scan counters)");
  check(cudaEventRecord(ev_start_, stream_), "cudaEventRecord");
  if (!graph) {
    issue();
  } else {
    const bool same = graph_exec_ && graph_key_.size() == launches.size() &&
                      std::memcmp(graph_key_.data(), launches.data(), launches.size() * sizeof(ScanParams)) == 0;
    if (!same) {
      if (graph_exec_) cudaGraphExecDestroy(graph_exec_);
      graph_exec_ = nullptr;
      graph_key_.clear();
      graph_exec_ = capture_graph(stream_, "launch-mode scan", issue);
      graph_key_ = launches;
    }
    check(cudaGraphLaunch(graph_exec_, stream_), "cudaGraphLaunch");
  }
  check(cudaEventRecord(ev_stop_, stream_), "cudaEventRecord");
}

void ScanRunner::enqueue(const ScanProblem& p, const ChunkConfig& chunk) {
  set_device(device_);
  if (std::string why = unsupported_reason(p, chunk); !why.empty()) throw_usage_error("CUDA scan: " + why);
  std::int64_t q = chunk.chunk;
  q_host_ = chunk.mode == ChunkMode::single ? p.seqlen : chunk.chunk;
  if ((chunk.mode == ChunkMode::launch || chunk.mode == ChunkMode::reset) && chunk.chunk_ptr) {
    std::int32_t dev_q = 0;
    check(cudaMemcpyAsync(&counters_host_->q_used, chunk.chunk_ptr, sizeof(std::int32_t), cudaMemcpyDeviceToHost,
                          stream_),
          "cudaMemcpyAsync(device chunk)");
    check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize(device chunk)");
    dev_q = counters_host_->q_used;
    if (dev_q <= 0) throw_usage_error("CUDA scan: the device chunk pointer holds " + std::to_string(dev_q));
    q = dev_q;
    q_host_ = dev_q;
  }
  if (chunk.mode == ChunkMode::inkernel && chunk.chunk_ptr) q_host_ = 0;
  mode_ = chunk.mode;
  seqlen_ = p.seqlen;
  blocks_ = p.batch * (p.dim / channels_per_block(p));
  enqueue_launches(p, chunk, q);
}

scan::ChunkReport ScanRunner::collect() {
  check(cudaMemcpyAsync(counters_host_, counters_dev_, sizeof(Counters), cudaMemcpyDeviceToHost, stream_),
        "cudaMemcpyAsync(scan counters)");
  check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize(scan)");
  const Counters c = *counters_host_;
  scan::ChunkReport r;
  r.impl = "seq";
  r.mode = mode_;
  r.q_requested = q_host_ > 0 ? q_host_ : c.q_used;
  r.q_effective = c.q_used;
  r.chunks_expected = scan::chunk_count(seqlen_, r.q_effective);
  r.chunks_executed = blocks_ > 0 && c.chunks % blocks_ == 0 ? c.chunks / blocks_ : -1;
  r.tokens = static_cast<std::int64_t>(c.tokens);
  r.recurrence_preserving = mode_ != ChunkMode::reset;
  r.bitwise_chunk_invariant = mode_ != ChunkMode::reset;
  r.honoured = r.q_effective == r.q_requested && r.chunks_executed == r.chunks_expected && r.tokens == seqlen_;
  return r;
}

double ScanRunner::last_kernel_time_s() const {
  check(cudaEventSynchronize(ev_stop_), "cudaEventSynchronize");
  float ms = 0.0f;
  check(cudaEventElapsedTime(&ms, ev_start_, ev_stop_), "cudaEventElapsedTime");
  return ms * 1e-3;
}

}  // namespace corey::cuda
