#pragma once
#include <memory>

#include "bench/scan_executor.hpp"

namespace corey::cuda {

// The kernel-sweep executor for impl `seq` on one device: device copies of the inputs, CUDA-event timing of
// the kernels alone, L2 flushed before every sample, device-side routing through the stats kernels.
std::unique_ptr<bench::ScanExecutor> make_scan_executor(int device);

}  // namespace corey::cuda
