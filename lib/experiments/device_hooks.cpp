#include "experiments/device_hooks.hpp"

namespace corey::experiments {

namespace {
DeviceHooks& installed() {
  static DeviceHooks hooks;
  return hooks;
}
}  // namespace

void install_device_hooks(DeviceHooks hooks) { installed() = std::move(hooks); }
const DeviceHooks& device_hooks() { return installed(); }
int cuda_device_count() { return installed().device_count ? installed().device_count() : 0; }

}  // namespace corey::experiments
