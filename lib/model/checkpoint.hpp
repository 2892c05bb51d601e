#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/safetensors.hpp"
#include "model/config.hpp"
#include "model/weights.hpp"

namespace corey::model {

// A tensor of a checkpoint: where it lives and its header entry.
struct TensorRef {
  const core::SafetensorsFile* file = nullptr;
  const core::SafetensorInfo* info = nullptr;
};

// An HF Mamba checkpoint directory (KERNELS.md §4): config.json plus model.safetensors, or shards listed by
// model.safetensors.index.json. Opening it maps the files (headers validated by the safetensors reader) and
// checks every tensor the config requires — present, dtype F32/F16/BF16, shape as the config implies — so a
// bad checkpoint fails before any weight is copied. Errors are corey::Error naming the file and the tensor.
class Checkpoint {
 public:
  explicit Checkpoint(const std::string& dir);

  const std::string& dir() const { return dir_; }
  const MambaConfig& config() const { return config_; }
  // Required tensors by their canonical HF name ("backbone.embeddings.weight" also for checkpoints that
  // store the singular mamba_ssm name); "lm_head.weight" only when the checkpoint stores one.
  const TensorRef& tensor(const std::string& name) const;
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  // The tensor names the config requires (canonical, without lm_head).
  static std::vector<std::string> required_names(const MambaConfig& config);

 private:
  std::string dir_;
  MambaConfig config_;
  std::vector<std::unique_ptr<core::SafetensorsFile>> files_;
  std::map<std::string, TensorRef> tensors_;
};

// The expected shape of a canonical tensor name under `config` (throws for an unknown name).
std::vector<std::int64_t> expected_shape(const MambaConfig& config, const std::string& name);

// Copies every weight to fp32 (F16/BF16 are widened exactly). The head follows the config: tied heads use
// the embeddings (a stored lm_head that differs is ignored, with a note); untied heads need lm_head.weight.
MambaWeights load_weights(const Checkpoint& checkpoint);
MambaWeights load_weights(const std::string& dir);

}  // namespace corey::model
