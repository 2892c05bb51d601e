#pragma once
#include <functional>
#include <memory>

#include "bench/scan_executor.hpp"
#include "core/half.hpp"
#include "core/json.hpp"
#include "entropy/stats_op.hpp"
#include "model/model_runner.hpp"
#include "model/weights.hpp"

namespace corey::experiments {

// The library never includes CUDA headers (ARCHITECTURE.md §3). A CUDA build's main() installs these hooks
// from kernels/; a CPU-only build leaves them empty, which means "no device".
struct DeviceHooks {
  std::function<int()> device_count;        // never throws; 0 without a driver or device
  std::function<Json()> describe_devices;   // one object per device (name, uuid, clocks, ...)
  std::function<Json()> cuda_versions;      // {"driver_version", "driver_api", "runtime"}
  std::function<std::unique_ptr<bench::ScanExecutor>(int device)> make_scan_executor;  // impl `seq`
  // The CUDA ModelRunner (batch 1) with the weights stored on `device` in `weights_dtype` (fp32, fp16 or bf16;
  // activations in that dtype, residual, norms, accumulation and the SSM state in fp32).
  std::function<std::unique_ptr<model::ModelRunner>(int device, const model::MambaWeights& weights,
                                                    DType weights_dtype)>
      make_model_runner;
  // Statistics of activations in `device` memory (host rows of a routed study on the CUDA runner read u
  // through it: the statistic is computed on the device and its value copied back, one sync per layer).
  std::function<std::unique_ptr<entropy::StatsOp>(int device)> make_stats_op;
};

void install_device_hooks(DeviceHooks hooks);
const DeviceHooks& device_hooks();
int cuda_device_count();  // 0 when no hooks are installed

}  // namespace corey::experiments
