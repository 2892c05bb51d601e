#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <string>
#include <vector>

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

// During a capture: the nodes the next operation captured on `stream` will depend on (after a helper enqueued its
// kernels there, the last of them).
inline std::vector<cudaGraphNode_t> capture_tail(cudaStream_t stream, const char* what) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  const cudaGraphNode_t* nodes = nullptr;
  std::size_t n = 0;
  check(cudaStreamGetCaptureInfo(stream, &status, nullptr, nullptr, &nodes, nullptr, &n), what);
  if (status != cudaStreamCaptureStatusActive) throw_cuda_error(cudaErrorIllegalState, what);
  return std::vector<cudaGraphNode_t>(nodes, nodes + n);
}

// During a capture: the next node captured on `stream` depends on the kernel nodes `from` through programmatic
// edges, besides its other dependencies (cudaStreamAddCaptureDependencies) or instead of them
// (cudaStreamSetCaptureDependencies). It may start once every block of them has triggered
// (griddepcontrol.launch_dependents); it must griddepcontrol.wait before it reads anything they write.
inline void add_programmatic_dependencies(cudaStream_t stream, std::vector<cudaGraphNode_t> from, unsigned int flags,
                                          const char* what) {
  cudaGraphEdgeData edge = {};
  edge.type = cudaGraphDependencyTypeProgrammatic;
  edge.from_port = cudaGraphKernelNodePortProgrammatic;
  std::vector<cudaGraphEdgeData> edges(from.size(), edge);
  check(cudaStreamUpdateCaptureDependencies(stream, from.data(), edges.data(), from.size(), flags), what);
}

}  // namespace corey::cuda
