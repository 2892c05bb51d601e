#include "experiments/routed_model.hpp"

#include <cmath>
#include <filesystem>

#include "core/error.hpp"
#include "core/numpy_random.hpp"
#include "model/bpe_tokenizer.hpp"
#include "model/checkpoint.hpp"
#include "model/synthetic_checkpoint.hpp"

namespace corey::experiments {
namespace {

void round_through(std::vector<float>& values, DType dtype) {
  if (dtype == DType::f16) {
    for (float& v : values) v = fp16_to_fp32(fp32_to_fp16(v));
  } else if (dtype == DType::bf16) {
    for (float& v : values) v = bf16_to_fp32(fp32_to_bf16(v));
  }
}

void round_weights(model::MambaWeights& w, DType dtype) {
  if (dtype == DType::f32) return;
  round_through(w.embeddings, dtype);
  round_through(w.norm_f, dtype);
  round_through(w.lm_head, dtype);
  for (model::LayerWeights& l : w.layers) {
    for (auto* v : {&l.norm, &l.in_proj, &l.conv_w, &l.conv_b, &l.x_proj, &l.dt_proj_w, &l.dt_proj_b, &l.A_log,
                    &l.D_skip, &l.out_proj})
      round_through(*v, dtype);
  }
}

// The tensor a canonical checkpoint name stands for.
std::vector<float>& slot(model::MambaWeights& w, const std::string& name) {
  if (name == "backbone.embeddings.weight") return w.embeddings;
  if (name == "backbone.norm_f.weight") return w.norm_f;
  if (name == "lm_head.weight") return w.lm_head;
  const std::string prefix = "backbone.layers.";
  const std::size_t dot = name.find('.', prefix.size());
  const auto layer = static_cast<std::size_t>(std::stoll(name.substr(prefix.size(), dot - prefix.size())));
  const std::string suffix = name.substr(dot + 1);
  model::LayerWeights& l = w.layers.at(layer);
  if (suffix == "norm.weight") return l.norm;
  if (suffix == "mixer.in_proj.weight") return l.in_proj;
  if (suffix == "mixer.conv1d.weight") return l.conv_w;
  if (suffix == "mixer.conv1d.bias") return l.conv_b;
  if (suffix == "mixer.x_proj.weight") return l.x_proj;
  if (suffix == "mixer.dt_proj.weight") return l.dt_proj_w;
  if (suffix == "mixer.dt_proj.bias") return l.dt_proj_b;
  if (suffix == "mixer.A_log") return l.A_log;
  if (suffix == "mixer.D") return l.D_skip;
  if (suffix == "mixer.out_proj.weight") return l.out_proj;
  throw Error(ErrorKind::usage, "synthetic weights: unknown tensor " + name);
}

}  // namespace

ModelSpec ModelSpec::from_json(const Json& model) {
  if (!model.is_object()) throw_usage_error("model must be a map {checkpoint, dtype, seed, tokenizer, shape}");
  ModelSpec spec;
  for (const auto& [key, value] : model.items()) {
    if (key != "checkpoint" && key != "dtype" && key != "seed" && key != "tokenizer" && key != "shape")
      throw_usage_error("model: unknown key '" + key + "' (expected checkpoint, dtype, seed, tokenizer, shape)");
  }
  if (!model.contains("checkpoint") || !model["checkpoint"].is_string() || model["checkpoint"].get<std::string>().empty())
    throw_usage_error("model.checkpoint must be synthetic:<size> or a checkpoint directory");
  spec.checkpoint = model["checkpoint"].get<std::string>();
  spec.dtype = dtype_from_string(model.value("dtype", std::string("fp16")));
  if (spec.dtype == DType::f64) throw_usage_error("model.dtype must be fp32, fp16 or bf16");
  const Json seed = model.value("seed", Json(0));
  if (!seed.is_number_integer() || seed.get<std::int64_t>() < 0) throw_usage_error("model.seed must be an integer >= 0");
  spec.seed = seed.get<std::uint64_t>();
  spec.tokenizer = model.value("tokenizer", std::string("auto"));
  spec.shape = model.value("shape", Json::object());
  if (!spec.shape.is_object()) throw_usage_error("model.shape must be a map {d_model, n_layer, vocab_size}");
  for (const auto& [key, value] : spec.shape.items()) {
    if (key != "d_model" && key != "n_layer" && key != "vocab_size")
      throw_usage_error("model.shape: unknown key '" + key + "' (expected d_model, n_layer, vocab_size)");
    if (!value.is_number_integer() || value.get<std::int64_t>() < 1)
      throw_usage_error("model.shape." + key + " must be an integer >= 1");
  }
  if (!spec.shape.empty() && !spec.synthetic()) throw_usage_error("model.shape applies only to synthetic checkpoints");
  if (spec.synthetic()) synthetic_config(spec);  // validates the size name
  return spec;
}

model::MambaConfig synthetic_config(const ModelSpec& spec) {
  model::MambaConfig c = model::config_like(spec.checkpoint.substr(std::string("synthetic:").size()));
  if (spec.shape.contains("d_model")) {
    c.d_model = spec.shape["d_model"].get<std::int64_t>();
    c.d_inner = c.expand * c.d_model;
    c.dt_rank = (c.d_model + 15) / 16;
  }
  if (spec.shape.contains("n_layer")) c.n_layer = spec.shape["n_layer"].get<std::int64_t>();
  if (spec.shape.contains("vocab_size")) c.vocab_size = spec.shape["vocab_size"].get<std::int64_t>();
  return c;
}

model::MambaWeights synthetic_weights(const model::MambaConfig& config, std::uint64_t seed) {
  model::MambaWeights w;
  w.config = config;
  w.layers.resize(static_cast<std::size_t>(config.n_layer));
  std::vector<std::string> names = model::Checkpoint::required_names(config);
  if (!config.tie_embeddings) names.push_back("lm_head.weight");
  if (!config.use_conv_bias) {
    for (auto& l : w.layers) l.conv_b.assign(static_cast<std::size_t>(config.d_inner), 0.0f);
  }
  core::NumpyGenerator rng(seed);
  for (const std::string& name : names) {
    std::int64_t count = 1;
    for (std::int64_t s : model::expected_shape(config, name)) count *= s;
    std::vector<float>& values = slot(w, name);
    values.assign(static_cast<std::size_t>(count), 0.0f);
    model::fill_synthetic_tensor(name, config.d_state, rng, values);
  }
  return w;
}

LoadedModel load_model(const ModelSpec& spec) {
  LoadedModel out;
  std::string source;
  if (spec.synthetic()) {
    out.weights = synthetic_weights(synthetic_config(spec), spec.seed);
    source = "synthetic (in memory)";
  } else {
    out.weights = model::load_weights(spec.checkpoint);
    source = "directory";
  }
  round_weights(out.weights, spec.dtype);
  std::string tokenizer_name;
  if (spec.tokenizer == "byte") {
    out.tokenizer = std::make_unique<model::ByteTokenizer>();
    tokenizer_name = "byte";
  } else if (spec.tokenizer != "auto") {
    out.tokenizer = model::BpeTokenizer::from_file(spec.tokenizer);
    tokenizer_name = spec.tokenizer;
  } else {
    if (!spec.synthetic()) out.tokenizer = model::load_tokenizer_for(spec.checkpoint);
    if (out.tokenizer) {
      tokenizer_name = (std::filesystem::path(spec.checkpoint) / "tokenizer.json").string();
    } else if (out.weights.config.vocab_size >= 256) {
      out.tokenizer = std::make_unique<model::ByteTokenizer>();
      tokenizer_name = "byte";
    } else {
      throw_usage_error("model " + spec.checkpoint + ": no tokenizer.json and fewer than 256 ids for a byte tokenizer");
    }
  }
  const model::MambaConfig& c = out.weights.config;
  out.describe = Json{{"checkpoint", spec.checkpoint},
                      {"source", source},
                      {"dtype", std::string(to_string(spec.dtype))},
                      {"compute_dtype", "fp32"},
                      {"seed", spec.synthetic() ? Json(spec.seed) : Json(nullptr)},
                      {"tokenizer", tokenizer_name},
                      {"config",
                       {{"d_model", c.d_model},
                        {"n_layer", c.n_layer},
                        {"d_inner", c.d_inner},
                        {"d_state", c.d_state},
                        {"d_conv", c.d_conv},
                        {"dt_rank", c.dt_rank},
                        {"vocab_size", c.vocab_size}}},
                      {"parameters", c.parameter_count()},
                      {"notes", out.weights.notes}};
  return out;
}

}  // namespace corey::experiments
