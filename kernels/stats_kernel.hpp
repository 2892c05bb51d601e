#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "scan_params.hpp"
#include "stats_tap.hpp"

namespace corey::cuda {

// Which statistic the device computes (the subset of entropy::Estimator the CUDA backend implements).
enum class StatKind : int {
  hist = 0,
  ebits = 1,
  cheap_proxy = 2,
  variance_proxy = 3,
  kurtosis_proxy = 4,
  token_hist = 5,
};

// The moment proxies (PAPER.md §2.4): what a producer's power sums (StatsTap::moments) can stand in for.
constexpr bool is_proxy(StatKind k) {
  return k == StatKind::cheap_proxy || k == StatKind::variance_proxy || k == StatKind::kurtosis_proxy;
}

struct StatsParams {
  const void* x = nullptr;
  IoType io = IoType::f32;
  std::int64_t batch = 1, dim = 0, seqlen = 0;
  std::int64_t sb = 0, sd = 0, sl = 1;
  std::int64_t stride = 1;  // reads x[..., ::stride]
  StatKind kind = StatKind::hist;
  int bins = 256;
  int units = 0;  // 0 nats, 1 bits, 2 normalized (entropy::Units order)
  // Chunk rule (PAPER.md §2.3); applied when chunk_out is set.
  double h_ref = 0.0;
  std::int64_t c_min = 32, c_max = 512;
  bool round_half_even = true;
  // The guard (PAPER.md §2.4) on the chosen Q: the fallback replaces Q when Q lies fewer than
  // guard_min_delta_buckets log2 buckets from it; 0 = no guard.
  std::int64_t guard_fallback = 0;
  int guard_min_delta_buckets = 0;
  float* entropy_out = nullptr;       // H in the requested units, fp32; nullable
  std::int32_t* chunk_out = nullptr;  // chosen Q; nullable
};

// The most sampled values (batch · dim · ceil(seqlen / stride)) one thread-block cluster computes a statistic
// over in a single launch (sm_90; every kind but token_hist, up to 1024 bins).
constexpr std::int64_t kStatsClusterMaxSamples = 32768;
// kStatsClusterMaxSamples on a device that can place the cluster (sm_90+), else 0. Prepares the kernels for the
// current device (a 16-block cluster is above the portable size): call it before the first cluster launch.
std::int64_t stats_cluster_max_samples();

// Device workspace of the statistics pipeline; zero-initialised once, left zeroed by every run.
struct StatsWorkspace {
  void* partials = nullptr;              // per-block pass-1 and pass-2 partial results
  unsigned long long* hist = nullptr;    // histogram counters: up to 32 copies of the bins (spread atomics)
  int hist_counters = 0;                 // counters at `hist` (at least the most bins a run asks for)
  unsigned int* ticket = nullptr;        // last-block detection
  double* result = nullptr;              // [H in units, native value, non-finite count]
  int blocks = 0;                        // the most blocks a launch uses (partials are sized for it)
  // token_hist: one slot per sampled token (batch · ceil(seqlen / stride) of them), each run overwrites the
  // slots it reads; the caller refuses tensors with more sampled tokens than token_slots.
  double* token_h = nullptr;
  std::int64_t token_slots = 0;
  // Samples up to which launch_stats takes the one-cluster path (capped at kStatsClusterMaxSamples); 0 = never.
  std::int64_t cluster_max_samples = 0;
};

// Blocks that keep every SM of the current device busy with the statistics kernels (SMs × co-resident blocks,
// capped at a few per SM); StatsWorkspace::blocks.
int stats_grid_blocks();

std::size_t stats_partials_bytes(int blocks);

// A sample of at most ws.cluster_max_samples values: one launch of one thread-block cluster, which lets a
// programmatic dependent (a scan that reads Q after griddepcontrol.wait) start at once. Otherwise:
// pass 1 (min/max/non-finite, plus raw moments for the proxies) and, except for cheap_proxy, pass 2
// (histogram or central moments); the last block of the last pass reduces and applies the rule. token_hist is
// one launch (per-token min/max, histogram and entropy per tile of tokens, then the mean in a last block) and
// needs batch · ceil(seqlen / stride) ≤ ws.token_slots. A tensor smaller than the grid gets fewer blocks.
// Stream-ordered, no host synchronization, graph-capturable.
void launch_stats(const StatsParams& params, const StatsWorkspace& ws, cudaStream_t stream);

// A histogram statistic (hist, ebits) when the kernel that wrote x did pass 1 (`tap`, stats_tap.hpp), before
// this launch in stream order: one launch, the histogram and the rule.
void launch_stats_tapped(const StatsParams& params, const StatsWorkspace& ws, const StatsTap& tap, cudaStream_t stream);

}  // namespace corey::cuda
