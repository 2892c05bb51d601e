#include "install_hooks.hpp"

#include "cuda_backend.hpp"
#include "cuda_scan_executor.hpp"
#include "experiments/device_hooks.hpp"

namespace corey::cuda {

void install_device_hooks() {
  experiments::DeviceHooks hooks;
  hooks.device_count = [] { return device_count(); };
  hooks.describe_devices = [] { return describe_devices(); };
  hooks.cuda_versions = [] { return cuda_versions(); };
  hooks.make_scan_executor = [](int device) { return make_scan_executor(device); };
  experiments::install_device_hooks(std::move(hooks));
}

}  // namespace corey::cuda
