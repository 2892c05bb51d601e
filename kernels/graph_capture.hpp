#pragma once
#include <cuda_runtime.h>

#include <string>

#include "cuda_check.hpp"

namespace corey::cuda {

// What `enqueue` puts on `stream` (and on the streams it forks from it and joins back), as an instantiated CUDA
// Graph; `what` names it in errors. An exception from `enqueue` ends the capture and leaves nothing behind. Node
// priorities are kept, so kernels captured from a high-priority stream stay ahead of the others in the graph.
template <typename Enqueue>
cudaGraphExec_t capture_graph(cudaStream_t stream, const std::string& what, Enqueue&& enqueue) {
  cudaGraph_t graph = nullptr;
  check(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal),
        ("cudaStreamBeginCapture(" + what + ")").c_str());
  try {
    enqueue();
  } catch (...) {
    cudaStreamEndCapture(stream, &graph);
    if (graph) cudaGraphDestroy(graph);
    throw;
  }
  check(cudaStreamEndCapture(stream, &graph), ("cudaStreamEndCapture(" + what + ")").c_str());
  cudaGraphExec_t exec = nullptr;
  const cudaError_t inst = cudaGraphInstantiateWithFlags(&exec, graph, cudaGraphInstantiateFlagUseNodePriority);
  cudaGraphDestroy(graph);
  check(inst, ("cudaGraphInstantiate(" + what + ")").c_str());
  return exec;
}

}  // namespace corey::cuda
