#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/json.hpp"
#include "entropy/stats_op.hpp"
#include "experiments/routed_model.hpp"
#include "experiments/tier.hpp"
#include "model/model_runner.hpp"
#include "model/tokenizer.hpp"

namespace corey::experiments {

// Wraps the model runner a cache builds (tests: a runner whose scan ignores the requested chunk).
using RunnerWrapper = std::function<std::unique_ptr<model::ModelRunner>(model::ModelRunner& inner)>;

unsigned thread_count(unsigned requested);  // 0 = all hardware threads

// Why a point with kernel.impl `impl` cannot run on `backend` (it is skipped, never run elsewhere), or nullopt:
// the CUDA model runner scans with `seq` and needs a build that has one; the CPU runner scans with `cpu`.
std::optional<std::string> runner_skip_reason(Backend backend, const std::string& impl);

// The model of a run, loaded once and kept while consecutive points ask for the same one (checkpoint, dtype,
// seed, tokenizer, shape, backend, device, CPU threads): the CPU runner, or on --backend cuda the CUDA runner
// from DeviceHooks with its stats op for host rows' statistics of device-memory activations.
class ModelCache {
 public:
  explicit ModelCache(RunnerWrapper wrapper = {}) : wrapper_(std::move(wrapper)) {}

  // Loads unless the cached model is the one asked for. Throws corey::Error (usage/io) from load_model.
  void load(const ModelSpec& spec, unsigned threads, const RunContext& ctx);

  model::ModelRunner& runner() { return wrapped_ ? *wrapped_ : *runner_; }
  const model::Tokenizer& tokenizer() const { return *model_.tokenizer; }
  const Json& describe() const { return describe_; }  // LoadedModel::describe, with the CUDA runner's compute dtype
  entropy::StatsOp* device_stats() const { return device_stats_.get(); }  // null on the CPU runner

 private:
  RunnerWrapper wrapper_;
  Json key_;
  LoadedModel model_;  // the tokenizer; the runner holds the weights
  Json describe_;
  std::unique_ptr<model::ModelRunner> runner_;
  std::unique_ptr<model::ModelRunner> wrapped_;
  std::unique_ptr<entropy::StatsOp> device_stats_;
};

}  // namespace corey::experiments
