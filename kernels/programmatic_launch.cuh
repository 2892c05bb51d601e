#pragma once
// Programmatic dependent launch (sm_90), shared by the scan's chained `launch` chunks and the model's decode
// step: the device-side trigger and wait, and the host launch that allows the overlap.
#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "cuda_check.hpp"

namespace corey::cuda {

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
// The next kernel may start its prologue: it becomes resident once every block of this one has triggered or
// exited.
__device__ __forceinline__ void pdl_trigger() { asm volatile("griddepcontrol.launch_dependents;" ::: "memory"); }
// Returns once the preceding kernels have completed and their writes are visible.
__device__ __forceinline__ void pdl_wait() { asm volatile("griddepcontrol.wait;" ::: "memory"); }
#else
// Below sm_90 nothing is launched as a programmatic dependent, so there is nothing to signal or wait for.
__device__ __forceinline__ void pdl_trigger() {}
__device__ __forceinline__ void pdl_wait() {}
#endif

// Launches with the programmatic-stream-serialization attribute: the kernel may start before its predecessor
// on the stream completes (captured into a graph, a programmatic edge); its pdl_wait() restores the order.
template <typename... Params, typename... Args>
void launch_pdl(void (*kernel)(Params...), unsigned blocks, unsigned threads, std::size_t smem, cudaStream_t stream,
                const char* what, Args&&... args) {
  cudaLaunchConfig_t cfg = {};
  cfg.gridDim = dim3(blocks);
  cfg.blockDim = dim3(threads);
  cfg.dynamicSmemBytes = smem;
  cfg.stream = stream;
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr[0].val.programmaticStreamSerializationAllowed = 1;
  cfg.attrs = attr;
  cfg.numAttrs = 1;
  check(cudaLaunchKernelEx(&cfg, kernel, std::forward<Args>(args)...), what);
}

}  // namespace corey::cuda
