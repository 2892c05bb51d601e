#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cuda_backend.hpp"
#include "scan_kernel.hpp"

namespace corey::cuda {

IoType io_type(DType dtype);  // throws corey::Error (usage) for fp64

// Turns a ScanProblem + ChunkConfig into launches of the `seq` kernel on the backend stream of its device.
// enqueue() never synchronizes, which is what benchmarks time; collect() waits and reads the kernel-side
// chunk report.
class ScanRunner {
 public:
  explicit ScanRunner(int device);
  ~ScanRunner();
  ScanRunner(const ScanRunner&) = delete;
  ScanRunner& operator=(const ScanRunner&) = delete;

  std::string unsupported_reason(const scan::ScanProblem& problem, const scan::ChunkConfig& chunk) const;
  // Threads per channel (16 or 8) and channels per block used for `problem`: the overrides, or the run-time
  // choice that fills the GPU; 0 channels when no valid CH exists.
  int lanes(const scan::ScanProblem& problem) const;
  int channels_per_block(const scan::ScanProblem& problem) const;

  // Resets the device-side report counters, then enqueues every launch of the mode (or replays its graph).
  // `launch`/`reset` with a device Q read it back first (one host sync).
  void enqueue(const scan::ScanProblem& problem, const scan::ChunkConfig& chunk);
  // Waits for the enqueued work and returns what the kernels reported.
  scan::ChunkReport collect();

  // The launches enqueue() issues for (problem, chunk) with host chunk size q (ignored by single/inkernel);
  // their counters point at this runner's report. Benchmarks replay them with launch_seq_scan directly. On
  // sm_90+ the `launch` chunks after the first are programmatic dependents of their predecessor
  // (ScanParams::pdl_dependent), so a plan must be issued in order, back to back, on one stream.
  std::vector<ScanParams> plan(const scan::ScanProblem& problem, const scan::ChunkConfig& chunk, std::int64_t q);

  void set_launch_graph(bool enabled) { use_graph_ = enabled; }
  void set_channels_per_block(int channels) { ch_override_ = channels; }
  void set_lanes(int lanes) { lanes_override_ = lanes; }
  double last_kernel_time_s() const;

 private:
  struct Counters {
    std::int32_t chunks;
    std::int32_t q_used;
    unsigned long long tokens;
  };
  ScanParams base_params(const scan::ScanProblem& problem, int ch) const;
  void ensure_workspace(std::int64_t state_floats);
  void enqueue_launches(const scan::ScanProblem& problem, const scan::ChunkConfig& chunk, std::int64_t q);

  int device_ = 0;
  int sm_count_ = 0;
  bool programmatic_launch_ = false;  // the device supports programmatic dependent launch (sm_90+)
  cudaStream_t stream_ = nullptr;
  cudaEvent_t ev_start_ = nullptr;
  cudaEvent_t ev_stop_ = nullptr;
  Counters* counters_dev_ = nullptr;
  Counters* counters_host_ = nullptr;  // pinned
  float* ping_ = nullptr;              // two (B, D, 16) fp32 state buffers for `launch`
  std::int64_t ping_floats_ = 0;
  bool use_graph_ = false;
  int ch_override_ = 0;
  int lanes_override_ = 0;

  // The last captured graph and the launch sequence it was captured from.
  cudaGraphExec_t graph_exec_ = nullptr;
  std::vector<ScanParams> graph_key_;

  // What the last enqueue expects, for collect().
  scan::ChunkMode mode_ = scan::ChunkMode::single;
  std::int64_t q_host_ = 0;  // 0 when Q is only known on the device
  std::int64_t seqlen_ = 0;
  std::int64_t blocks_ = 0;
};

}  // namespace corey::cuda
