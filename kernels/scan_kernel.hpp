#pragma once
#include <cuda_runtime.h>

#include "scan_params.hpp"
#include "stats_kernel.hpp"

namespace corey::cuda {

inline constexpr int kScanStates = 16;       // N supported by the `seq` kernel
inline constexpr int kScanMaxThreads = 256;  // threads per block
// Threads per channel: 16 (one state each; most warps, for latency-bound small problems) or 8 (two states
// each; fewer instructions per state, for throughput-bound large ones). CH <= kScanMaxThreads / lanes.

// Raises the kernel's dynamic shared-memory limit (once per instantiation); call before graph capture.
void prepare_seq_scan(IoType io, bool const_bc, int lanes);

// Blocks of `channels_per_block` channels (the kernel without programmatic dependence) that one SM holds at
// once, as registers and shared memory allow; 0 when none fits.
int seq_scan_blocks_per_sm(IoType io, bool const_bc, int lanes, int channels_per_block);

// Enqueues one launch on `stream` (B/C are treated as time-invariant when both have time stride 0), with the
// programmatic-stream-serialization attribute when params.pdl_dependent. Throws on a launch error; never
// synchronizes.
void launch_seq_scan(IoType io, const ScanParams& params, cudaStream_t stream);

// The statistic a routed scan computes in its own launch (DeviceStatsOp::routed_statistic): what it reads and
// how it chooses Q (params.chunk_out), its workspace (ws.partials, ws.hist, ws.result), and three zeroed words for
// the statistic blocks' barriers, left zeroed by every launch. With `moments` (DeviceStatsOp::
// routed_statistic_tapped) the statistic is a proxy folded from its producer's moment_parts partials instead.
struct RoutedStatistic {
  StatsParams params;
  StatsWorkspace ws;
  unsigned int* flags = nullptr;
  const stats_device::MomentPartial* moments = nullptr;
  int moment_parts = 0;
};
inline constexpr int kRoutedMaxBins = 1024;
inline constexpr int kRoutedMaxStatBlocks = 4;

// One launch of a one-launch `inkernel` plan without checkpoints (variable B/C) whose Q the statistic writes
// (params.q_ptr == statistic.params.chunk_out): up to kRoutedMaxStatBlocks extra blocks compute the statistic on
// SMs the scan leaves idle and report Q (params.q_used) and the scan blocks' chunks by it (Q changes nothing they
// compute), so routing costs no launch of its own. Capturable in a CUDA graph. Throws a usage error when
// the plan does not qualify, the statistic is token_hist, has more than kRoutedMaxBins bins or more than
// kStatsClusterMaxSamples sampled values, or the scan's blocks and a statistic block do not fit the device at once.
// With statistic.moments (a tapped proxy) one block folds the partials instead, in a kernel of its own: any bins
// and sample count, the plan's conditions and the fit (tapped_scan_fits) as above.
void launch_seq_scan_routed(IoType io, const ScanParams& params, const RoutedStatistic& statistic,
                            cudaStream_t stream);
// Whether the scan's blocks and one more fit the current device at once (a tapped proxy's routed launch).
bool tapped_scan_fits(IoType io, const ScanParams& params);

}  // namespace corey::cuda
