#pragma once
#include <cuda_runtime.h>

namespace corey::cuda {

// Throws corey::cuda::OutOfMemory for allocation failures and corey::Error (environment) otherwise, with
// the CUDA error name and `what` in the message.
[[noreturn]] void throw_cuda_error(cudaError_t error, const char* what);

inline void check(cudaError_t error, const char* what) {
  if (error != cudaSuccess) throw_cuda_error(error, what);
}

}  // namespace corey::cuda
