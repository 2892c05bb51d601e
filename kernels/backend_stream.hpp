#pragma once
#include <cuda_runtime.h>

namespace corey::cuda {

// The one stream per device that every op of the backend enqueues on (created once, blocking, so it is also
// ordered with the legacy default stream). Sharing it is what makes statistics → scan routing stream-ordered
// with no host involvement.
cudaStream_t backend_stream(int device);

}  // namespace corey::cuda
