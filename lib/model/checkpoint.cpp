#include "model/checkpoint.hpp"

#include <cstring>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace corey::model {
namespace {

namespace fs = std::filesystem;

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string layer_name(std::int64_t i, const char* suffix) {
  return "backbone.layers." + std::to_string(i) + "." + suffix;
}

const char* const kLayerSuffixes[] = {"norm.weight",        "mixer.in_proj.weight", "mixer.conv1d.weight",
                                      "mixer.conv1d.bias",  "mixer.x_proj.weight",  "mixer.dt_proj.weight",
                                      "mixer.dt_proj.bias", "mixer.A_log",          "mixer.D",
                                      "mixer.out_proj.weight"};

std::vector<float> to_f32(const TensorRef& ref) {
  const core::SafetensorInfo& info = *ref.info;
  const auto n = static_cast<std::size_t>(info.numel());
  std::vector<float> out(n);
  if (*info.dtype == DType::f32) {
    if (n) std::memcpy(out.data(), info.bytes, n * sizeof(float));
    return out;
  }
  std::vector<std::uint16_t> raw(n);
  if (n) std::memcpy(raw.data(), info.bytes, n * sizeof(std::uint16_t));
  const bool half = *info.dtype == DType::f16;
  for (std::size_t i = 0; i < n; ++i) out[i] = half ? fp16_to_fp32(raw[i]) : bf16_to_fp32(raw[i]);
  return out;
}

}  // namespace

std::vector<std::int64_t> expected_shape(const MambaConfig& c, const std::string& name) {
  const std::int64_t M = c.d_model, D = c.d_inner, N = c.d_state, K = c.d_conv, R = c.dt_rank, V = c.vocab_size;
  if (name == "backbone.embeddings.weight" || name == "lm_head.weight") return {V, M};
  if (name == "backbone.norm_f.weight") return {M};
  const std::string prefix = "backbone.layers.";
  if (name.rfind(prefix, 0) == 0) {
    const std::size_t dot = name.find('.', prefix.size());
    const std::string suffix = dot == std::string::npos ? "" : name.substr(dot + 1);
    if (suffix == "norm.weight") return {M};
    if (suffix == "mixer.in_proj.weight") return {2 * D, M};
    if (suffix == "mixer.conv1d.weight") return {D, 1, K};
    if (suffix == "mixer.conv1d.bias") return {D};
    if (suffix == "mixer.x_proj.weight") return {R + 2 * N, D};
    if (suffix == "mixer.dt_proj.weight") return {D, R};
    if (suffix == "mixer.dt_proj.bias") return {D};
    if (suffix == "mixer.A_log") return {D, N};
    if (suffix == "mixer.D") return {D};
    if (suffix == "mixer.out_proj.weight") return {M, D};
  }
  throw Error(ErrorKind::usage, "not a Mamba tensor name: '" + name + "'");
}

std::vector<std::string> Checkpoint::required_names(const MambaConfig& config) {
  std::vector<std::string> names{"backbone.embeddings.weight"};
  for (std::int64_t i = 0; i < config.n_layer; ++i) {
    for (const char* suffix : kLayerSuffixes) {
      if (!config.use_conv_bias && std::strcmp(suffix, "mixer.conv1d.bias") == 0) continue;
      names.push_back(layer_name(i, suffix));
    }
  }
  names.push_back("backbone.norm_f.weight");
  return names;
}

Checkpoint::Checkpoint(const std::string& dir) : dir_(dir) {
  if (!fs::is_directory(dir)) throw Error(ErrorKind::io, dir + ": not a checkpoint directory");
  config_ = load_config((fs::path(dir) / "config.json").string());
  const std::string index_path = (fs::path(dir) / "model.safetensors.index.json").string();
  const std::string single_path = (fs::path(dir) / "model.safetensors").string();
  // Where a missing tensor was looked for, for the error message.
  std::string searched;
  if (fs::exists(index_path)) {
    searched = index_path;
    Json index = Json::parse(read_file(index_path), nullptr, false);
    if (index.is_discarded() || !index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
      throw Error(ErrorKind::usage, index_path + ": not a safetensors index (needs an object 'weight_map')");
    std::map<std::string, const core::SafetensorsFile*> by_file;
    for (const auto& [name, file] : index["weight_map"].items()) {
      if (!file.is_string() || file.get<std::string>().find('/') != std::string::npos)
        throw Error(ErrorKind::usage, index_path + ": weight_map entry '" + name + "' must name a file in " + dir);
      const std::string shard = file.get<std::string>();
      auto it = by_file.find(shard);
      if (it == by_file.end()) {
        files_.push_back(std::make_unique<core::SafetensorsFile>((fs::path(dir) / shard).string()));
        it = by_file.emplace(shard, files_.back().get()).first;
      }
      const core::SafetensorsFile& f = *it->second;
      const core::SafetensorInfo* info = nullptr;
      for (const auto& t : f.tensors()) {
        if (t.name == name) info = &t;
      }
      if (!info)
        throw Error(ErrorKind::usage, f.path() + ": missing tensor '" + name + "' (listed in " + index_path + ")");
      tensors_[name] = TensorRef{&f, info};
    }
  } else if (fs::exists(single_path)) {
    searched = single_path;
    files_.push_back(std::make_unique<core::SafetensorsFile>(single_path));
    for (const auto& t : files_.back()->tensors()) tensors_[t.name] = TensorRef{files_.back().get(), &t};
  } else {
    throw Error(ErrorKind::io, dir + ": no model.safetensors or model.safetensors.index.json (pickled "
                                     "pytorch_model.bin checkpoints are not supported: convert them first)");
  }
  // Original mamba_ssm checkpoints use the singular embedding name (KERNELS.md §4.2 rule 2).
  if (!tensors_.count("backbone.embeddings.weight") && tensors_.count("backbone.embedding.weight"))
    tensors_["backbone.embeddings.weight"] = tensors_["backbone.embedding.weight"];

  std::vector<std::string> names = required_names(config_);
  if (!config_.tie_embeddings || tensors_.count("lm_head.weight")) names.push_back("lm_head.weight");
  for (const std::string& name : names) {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) {
      throw Error(ErrorKind::usage, searched + ": missing tensor '" + name + "' (required by config.json: " +
                                        std::to_string(config_.n_layer) + " layers" +
                                        (config_.tie_embeddings ? "" : ", untied lm_head") + ")");
    }
    const core::SafetensorInfo& info = *it->second.info;
    const std::string& path = it->second.file->path();
    if (!info.dtype || *info.dtype == DType::f64)
      throw Error(ErrorKind::usage, path + ": tensor '" + info.name + "' has dtype " + info.dtype_name +
                                        " (supported: F32, F16, BF16)");
    const std::vector<std::int64_t> want = expected_shape(config_, name);
    if (info.shape != want)
      throw Error(ErrorKind::usage, path + ": tensor '" + info.name + "' has shape " + shape_string(info.shape) +
                                        " but config.json implies " + shape_string(want));
  }
}

const TensorRef& Checkpoint::tensor(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw Error(ErrorKind::usage, dir_ + ": checkpoint has no tensor '" + name + "'");
  return it->second;
}

MambaWeights load_weights(const Checkpoint& ck) {
  MambaWeights w;
  const MambaConfig& c = ck.config();
  w.config = c;
  w.embeddings = to_f32(ck.tensor("backbone.embeddings.weight"));
  w.norm_f = to_f32(ck.tensor("backbone.norm_f.weight"));
  w.layers.resize(static_cast<std::size_t>(c.n_layer));
  for (std::int64_t i = 0; i < c.n_layer; ++i) {
    LayerWeights& l = w.layers[static_cast<std::size_t>(i)];
    auto get = [&](const char* suffix) { return to_f32(ck.tensor(layer_name(i, suffix))); };
    l.norm = get("norm.weight");
    l.in_proj = get("mixer.in_proj.weight");
    l.conv_w = get("mixer.conv1d.weight");
    l.conv_b = c.use_conv_bias ? get("mixer.conv1d.bias") : std::vector<float>(static_cast<std::size_t>(c.d_inner));
    l.x_proj = get("mixer.x_proj.weight");
    l.dt_proj_w = get("mixer.dt_proj.weight");
    l.dt_proj_b = get("mixer.dt_proj.bias");
    l.A_log = get("mixer.A_log");
    l.D_skip = get("mixer.D");
    l.out_proj = get("mixer.out_proj.weight");
  }
  if (ck.has("lm_head.weight")) {
    std::vector<float> head = to_f32(ck.tensor("lm_head.weight"));
    if (!c.tie_embeddings) {
      w.lm_head = std::move(head);
    } else if (head != w.embeddings) {
      w.notes.push_back(ck.tensor("lm_head.weight").file->path() +
                        ": lm_head.weight differs from the embeddings but config.json ties them; the embeddings "
                        "are used (as transformers does)");
    }
  }
  return w;
}

MambaWeights load_weights(const std::string& dir) { return load_weights(Checkpoint(dir)); }

}  // namespace corey::model
