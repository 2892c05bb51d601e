#pragma once
#include "core/json.hpp"

namespace corey::experiments {

// The environment block of every results file (HARNESS.md §3.2): host, OS, CPU, the corey build, and the
// CUDA driver/runtime and devices when a device is present, plus warnings (clocks not locked, debug
// build, CPU backend used for timing, ...).
Json environment_block(bool cpu_backend_timing);

// What makes a measurement reusable on --resume: the same corey build on the same device (or CPU model).
Json environment_fingerprint(const Json& env);

}  // namespace corey::experiments
