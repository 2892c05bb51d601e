#pragma once
// The CUDA backend as seen from plain C++ (no CUDA types): factories for the ScanOp / StatsOp
// implementations, a CUDA-event timer, device discovery and device memory helpers.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "core/json.hpp"
#include "entropy/stats_op.hpp"
#include "scan/scan_op.hpp"
#include "scan_kernel.hpp"
#include "stats_tap.hpp"

namespace corey::cuda {

// A device allocation failed (cudaErrorMemoryAllocation); the harness records the point as `oom` and goes on.
class OutOfMemory : public Error {
 public:
  explicit OutOfMemory(std::string message) : Error(ErrorKind::out_of_memory, std::move(message)) {}
};

// Number of usable CUDA devices; 0 without a driver or device. Never throws.
int device_count();

// One object per device: name, uuid, pci_bus_id, cc, sm_count, l2_bytes, memory_bytes, memory_bus_width_bits,
// sm_clock_mhz, memory_clock_mhz, plus driver_version and runtime_version. Empty array without devices.
Json describe_devices();
// {"driver_version": "13.0", "driver_api": 13000, "runtime": "13.0"}.
Json cuda_versions();

// The `seq` scan (KERNELS.md §7.3). run() enqueues the launches, waits for them and reads the kernel's chunk
// counter back into the report; the CUDA-event time of the launches alone is available afterwards.
class DeviceScanOp : public scan::ScanOp {
 public:
  // Seconds between events recorded around this op's last kernel launches (excludes the report read-back).
  virtual double last_kernel_time_s() const = 0;
  // `launch` mode: capture the per-chunk launches once per (problem, Q) in a CUDA Graph and replay it.
  virtual void set_launch_graph(bool enabled) = 0;
  // Channels per block; 0 = chosen from the problem so a batch-1 problem fills the GPU.
  virtual void set_channels_per_block(int channels) = 0;
};

std::unique_ptr<DeviceScanOp> make_scan_op(int device);

// Device-side statistics (histogram entropy, ebits, moment proxies) and the entropy → chunk rule; the `into`
// path writes H (fp32) and Q (int32) to device memory without a host round trip.
class DeviceStatsOp : public entropy::StatsOp {
 public:
  // choose_chunk_into with the guard of PAPER.md §2.4 applied to Q by the same kernel (no extra launch): the
  // fallback replaces Q when Q lies fewer than guard_min_delta_buckets log2 buckets from it; fallback 0 = none.
  virtual void choose_guarded_chunk_into(const entropy::ActivationView& x, const entropy::Statistic& s,
                                         const entropy::ChunkRule& rule, std::int64_t guard_fallback,
                                         int guard_min_delta_buckets, float* entropy_out, std::int32_t* chunk_out) = 0;
  // The tap through which a kernel of `producer_blocks` blocks that writes the tensor does pass 1 of statistic s
  // (StatsTap); empty when s has none (token_hist, proto). The caller adds the storage the tap wants: range
  // words, zeroed before the producer runs (hist, ebits), or stats_moment_tap_bytes of moment partials (proxies).
  virtual StatsTap tap_for(const entropy::Statistic& s, int producer_blocks) = 0;
  // choose_guarded_chunk_into for a tensor whose producer did pass 1 through `tap` before, in the order of this
  // op's stream: one launch instead of two, x read at most once, no timing events (graph-capturable as is).
  virtual void choose_guarded_chunk_tapped(const entropy::ActivationView& x, const entropy::Statistic& s,
                                           const entropy::ChunkRule& rule, std::int64_t guard_fallback,
                                           int guard_min_delta_buckets, const StatsTap& tap, float* entropy_out,
                                           std::int32_t* chunk_out) = 0;
  // A statistic over at most `samples` sampled values takes the one-launch cluster path (stats_kernel.hpp);
  // the default is the most that path holds (0 before sm_90). 0 sends every statistic through the grid path.
  virtual void set_cluster_max_samples(std::int64_t samples) = 0;
  // Statistic s and the rule as a routed scan computes them in its own launch (launch_seq_scan_routed), writing
  // H and Q like choose_chunk_into. Usage errors: token_hist, and more than kStatsClusterMaxSamples sampled
  // values (a few blocks compute them beside the scan, and must finish well before it). The routed scan uses
  // this op's workspace: enqueue it in stream order with the op's other statistics.
  virtual RoutedStatistic routed_statistic(const entropy::ActivationView& x, const entropy::Statistic& s,
                                           const entropy::ChunkRule& rule, float* entropy_out,
                                           std::int32_t* chunk_out) = 0;
  // A proxy whose producer did its only pass through `tap` (moment partials), for a routed scan: its statistic
  // block folds the partials, so any tensor size qualifies and the statistic never reads it. The guard as in
  // choose_guarded_chunk_into. Usage error for a histogram's tap.
  virtual RoutedStatistic routed_statistic_tapped(const entropy::ActivationView& x, const entropy::Statistic& s,
                                                  const entropy::ChunkRule& rule, std::int64_t guard_fallback,
                                                  int guard_min_delta_buckets, const StatsTap& tap,
                                                  float* entropy_out, std::int32_t* chunk_out) = 0;
  // Events around each launch for last_kernel_time_s (default on). Off, the next kernel on the stream follows
  // the statistic's directly, which a programmatic dependent launch needs (an event between them makes the
  // dependency a full one).
  virtual void set_timing(bool enabled) = 0;
  virtual double last_kernel_time_s() const = 0;
};

std::unique_ptr<DeviceStatsOp> make_stats_op(int device);
// The same on `stream` (a cudaStream_t of `device`) instead of the backend stream, so a caller can overlap the
// statistics with work that does not need them.
std::unique_ptr<DeviceStatsOp> make_stats_op(int device, void* stream);

// CUDA-event timer on the backend stream of `device` (the stream every op of the backend enqueues on).
class Timer {
 public:
  explicit Timer(int device);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  void start();
  void stop();
  double elapsed_s() const;  // waits for the stop event

 private:
  void* start_ = nullptr;
  void* stop_ = nullptr;
  int device_ = 0;
};

// Owning device buffer (plain cudaMalloc). Throws OutOfMemory when the allocation fails.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  void upload(const void* host, std::size_t bytes, std::size_t offset = 0);
  void download(void* host, std::size_t bytes, std::size_t offset = 0) const;
  void fill_bytes(int value);

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

void set_device(int device);
void synchronize();
// Flushes the L2 by a memset over a buffer of the device's L2 size (allocated once per device).
void flush_l2(int device);

}  // namespace corey::cuda
