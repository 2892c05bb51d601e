#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "core/half.hpp"
#include "core/json.hpp"
#include "model/config.hpp"
#include "model/tokenizer.hpp"
#include "model/weights.hpp"

namespace corey::experiments {

// The routed tier's `model` parameter, parsed:
//   {checkpoint: "synthetic:<size>" | DIR, dtype: fp32|fp16|bf16, seed: 0, tokenizer: auto|byte|FILE,
//    shape: {d_model, n_layer, vocab_size}}   (shape only for synthetic checkpoints: a smaller model of the
//    same family, e.g. for CPU smoke runs)
struct ModelSpec {
  std::string checkpoint;
  DType dtype = DType::f16;
  std::uint64_t seed = 0;
  std::string tokenizer = "auto";
  Json shape = Json::object();

  bool synthetic() const { return checkpoint.rfind("synthetic:", 0) == 0; }
  static ModelSpec from_json(const Json& model);  // throws corey::Error (usage) naming the bad key
};

// Weights (fp32 in memory) and the tokenizer of one model load.
struct LoadedModel {
  model::MambaWeights weights;
  std::unique_ptr<model::Tokenizer> tokenizer;
  Json describe;  // {checkpoint, source, dtype, compute_dtype, tokenizer, config, parameters, notes}
};

// The config of a synthetic checkpoint name with the spec's shape overrides applied.
model::MambaConfig synthetic_config(const ModelSpec& spec);

// The synthetic checkpoint of `config` built in memory: the same initialisation and numpy draw order as
// model::write_synthetic_checkpoint (fp32), so a seed gives the weights that command would write.
model::MambaWeights synthetic_weights(const model::MambaConfig& config, std::uint64_t seed);

// Loads the model: synthetic in memory, or a checkpoint directory. Weights are rounded through `dtype`
// storage (fp16/bf16) while compute stays fp32, so the CPU runs the weights a half-precision model has.
// The tokenizer: `auto` = the directory's tokenizer.json, else bytes when the vocabulary holds 256 ids;
// `byte`; or a tokenizer.json path. Throws corey::Error (usage/io).
LoadedModel load_model(const ModelSpec& spec);

}  // namespace corey::experiments
