#include "install_hooks.hpp"

#include "cuda_backend.hpp"
#include "cuda_scan_executor.hpp"
#include "experiments/device_hooks.hpp"
#include "model/cuda_model_runner.hpp"

namespace corey::cuda {

void install_device_hooks() {
  experiments::DeviceHooks hooks;
  hooks.device_count = [] { return device_count(); };
  hooks.describe_devices = [] { return describe_devices(); };
  hooks.cuda_versions = [] { return cuda_versions(); };
  hooks.make_scan_executor = [](int device) { return make_scan_executor(device); };
  hooks.make_model_runner = [](int device, const model::MambaWeights& weights, DType dtype) {
    return make_model_runner(device, weights, dtype);
  };
  hooks.make_stats_op = [](int device) -> std::unique_ptr<entropy::StatsOp> { return make_stats_op(device); };
  experiments::install_device_hooks(std::move(hooks));
}

}  // namespace corey::cuda
