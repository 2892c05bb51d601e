#include "experiments/model_cache.hpp"

#include <algorithm>
#include <thread>

#include "experiments/device_hooks.hpp"
#include "model/cpu_model_runner.hpp"

namespace corey::experiments {

unsigned thread_count(unsigned requested) {
  return requested == 0 ? std::max(1u, std::thread::hardware_concurrency()) : requested;
}

std::optional<std::string> runner_skip_reason(Backend backend, const std::string& impl) {
  const bool cuda = backend == Backend::cuda;
  if (cuda && !device_hooks().make_model_runner)
    return "this build has no CUDA model runner; the point is not run on the CPU instead (rerun with "
           "--backend cpu and kernel.impl cpu for the CPU model runner)";
  if (cuda && impl != "seq") return "the CUDA model runner scans with kernel.impl seq, not " + impl;
  if (!cuda && impl != "cpu")
    return "kernel.impl " + impl + " is a CUDA scan; the CPU backend runs kernel.impl cpu (use --backend cuda "
           "on a GPU build, or set kernel.impl: cpu)";
  return std::nullopt;
}

void ModelCache::load(const ModelSpec& spec, unsigned threads, const RunContext& ctx) {
  const bool cuda = ctx.backend == Backend::cuda;
  const Json key = Json{{"checkpoint", spec.checkpoint},
                        {"dtype", std::string(to_string(spec.dtype))},
                        {"seed", spec.seed},
                        {"tokenizer", spec.tokenizer},
                        {"shape", spec.shape},
                        {"backend", cuda ? "cuda" : "cpu"},
                        {"device", cuda ? ctx.device : -1},
                        {"threads", cuda ? 0u : thread_count(threads)}};
  if (runner_ && key_ == key) return;
  wrapped_.reset();
  runner_.reset();
  device_stats_.reset();
  model_ = load_model(spec);
  describe_ = model_.describe;
  if (cuda) {
    runner_ = device_hooks().make_model_runner(ctx.device, model_.weights, spec.dtype);
    if (device_hooks().make_stats_op) device_stats_ = device_hooks().make_stats_op(ctx.device);
    describe_["compute_dtype"] = "fp32 residual, norms and scan state; activations in the weights' dtype";
  } else {
    runner_ = std::make_unique<model::CpuModelRunner>(std::move(model_.weights), thread_count(threads));
  }
  model_.weights = {};  // the runner holds its own copy
  wrapped_ = wrapper_ ? wrapper_(*runner_) : nullptr;
  key_ = key;
}

}  // namespace corey::experiments
