#pragma once
#include <functional>
#include <memory>

#include "bench/scan_executor.hpp"
#include "core/json.hpp"

namespace corey::experiments {

// The library never includes CUDA headers (ARCHITECTURE.md §3). A CUDA build's main() installs these hooks
// from kernels/; a CPU-only build leaves them empty, which means "no device".
struct DeviceHooks {
  std::function<int()> device_count;        // never throws; 0 without a driver or device
  std::function<Json()> describe_devices;   // one object per device (name, uuid, clocks, ...)
  std::function<Json()> cuda_versions;      // {"driver_version", "driver_api", "runtime"}
  std::function<std::unique_ptr<bench::ScanExecutor>(int device)> make_scan_executor;  // impl `seq`
};

void install_device_hooks(DeviceHooks hooks);
const DeviceHooks& device_hooks();
int cuda_device_count();  // 0 when no hooks are installed

}  // namespace corey::experiments
