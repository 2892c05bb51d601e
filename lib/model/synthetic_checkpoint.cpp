#include "model/synthetic_checkpoint.hpp"

#include <cmath>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/numpy_random.hpp"
#include "model/checkpoint.hpp"
#include "model/safetensors_writer.hpp"

namespace corey::model {
namespace {

struct Size {
  const char* name;
  std::int64_t d_model, n_layer;
};
// KERNELS.md §3.2.
constexpr Size kSizes[] = {{"mamba-130m", 768, 24},
                           {"mamba-370m", 1024, 48},
                           {"mamba-790m", 1536, 48},
                           {"mamba-1.4b", 2048, 48},
                           {"mamba-2.8b", 2560, 64}};

std::string suffix_of(const std::string& name) {
  const std::string prefix = "backbone.layers.";
  if (name.rfind(prefix, 0) != 0) return name;
  return name.substr(name.find('.', prefix.size()) + 1);
}

}  // namespace

std::vector<std::string> known_model_sizes() {
  std::vector<std::string> names;
  for (const Size& s : kSizes) names.emplace_back(s.name);
  return names;
}

MambaConfig config_like(const std::string& name) {
  for (const Size& s : kSizes) {
    if (name != s.name) continue;
    MambaConfig c;
    c.d_model = s.d_model;
    c.n_layer = s.n_layer;
    c.d_inner = 2 * s.d_model;
    c.dt_rank = (s.d_model + 15) / 16;
    c.vocab_size = 50280;
    return c;
  }
  std::string names;
  for (const Size& s : kSizes) names += std::string(names.empty() ? "" : ", ") + s.name;
  throw Error(ErrorKind::usage, "unknown model size '" + name + "' (known: " + names + ")");
}

void fill_synthetic_tensor(const std::string& name, std::int64_t d_state, core::NumpyGenerator& rng,
                           std::vector<float>& values) {
  const std::string suffix = suffix_of(name);
  if (suffix == "norm.weight" || suffix == "backbone.norm_f.weight" || suffix == "mixer.D") {
    std::fill(values.begin(), values.end(), 1.0f);
  } else if (suffix == "mixer.conv1d.bias") {
    std::fill(values.begin(), values.end(), 0.0f);
  } else if (suffix == "mixer.A_log") {
    for (std::size_t i = 0; i < values.size(); ++i)
      values[i] = static_cast<float>(std::log(static_cast<double>(static_cast<std::int64_t>(i) % d_state + 1)));
  } else if (suffix == "mixer.dt_proj.bias") {
    const double lo = std::log(1e-3), hi = std::log(1e-1);
    for (float& v : values) {
      const double dt = std::max(std::exp(rng.uniform(lo, hi)), 1e-4);
      v = static_cast<float>(dt + std::log(-std::expm1(-dt)));  // softplus⁻¹(dt)
    }
  } else {
    for (float& v : values) v = static_cast<float>(0.02 * rng.standard_normal());
  }
}

void write_synthetic_checkpoint(const std::string& dir, const MambaConfig& config, std::uint64_t seed, DType dtype,
                                const std::string& like) {
  if (dtype == DType::f64) throw Error(ErrorKind::usage, "synthetic checkpoints are fp32, fp16 or bf16");
  make_directories(dir);
  Json cfg = config_to_hf_json(config);
  cfg["torch_dtype"] = dtype == DType::f32 ? "float32" : (dtype == DType::f16 ? "float16" : "bfloat16");
  std::vector<TensorSpec> specs;
  std::vector<std::string> names = Checkpoint::required_names(config);
  if (!config.tie_embeddings) names.push_back("lm_head.weight");
  for (const std::string& name : names) specs.push_back(TensorSpec{name, dtype, expected_shape(config, name)});
  const std::map<std::string, std::string> metadata{
      {"format", "pt"}, {"generator", "corey make-checkpoint"}, {"like", like}, {"seed", std::to_string(seed)}};
  SafetensorsWriter writer((std::filesystem::path(dir) / "model.safetensors").string(), specs, metadata);
  core::NumpyGenerator rng(seed);
  for (const TensorSpec& spec : specs) {
    std::int64_t count = 1;
    for (std::int64_t s : spec.shape) count *= s;
    std::vector<float> values(static_cast<std::size_t>(count));
    fill_synthetic_tensor(spec.name, config.d_state, rng, values);
    writer.write_f32(spec.name, values);
  }
  writer.finish();
  write_file_atomic((std::filesystem::path(dir) / "config.json").string(), cfg.dump(2) + "\n");
}

}  // namespace corey::model
