#pragma once

namespace corey::cuda {

// Installs the CUDA backend into the library's DeviceHooks (device discovery, environment block, the
// kernel-sweep scan executor, the model runner). Called once by main() in a CUDA build.
void install_device_hooks();

}  // namespace corey::cuda
