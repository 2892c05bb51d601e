#pragma once
#include <cuda_runtime.h>

#include "scan_params.hpp"

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

}  // namespace corey::cuda
