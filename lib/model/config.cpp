#include "model/config.hpp"

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace corey::model {
namespace {

[[noreturn]] void bad(const std::string& source, const std::string& what) {
  throw Error(ErrorKind::usage, source + ": " + what);
}

// The first of `keys` present in `json` (or in a nested ssm_cfg for the mamba_ssm family).
const Json* find_key(const Json& json, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (json.contains(key) && !json[key].is_null()) return &json[key];
  }
  if (json.contains("ssm_cfg") && json["ssm_cfg"].is_object()) {
    for (const char* key : keys) {
      if (json["ssm_cfg"].contains(key) && !json["ssm_cfg"][key].is_null()) return &json["ssm_cfg"][key];
    }
  }
  return nullptr;
}

std::int64_t positive_int(const Json& value, const std::string& source, const std::string& key) {
  if (!value.is_number_integer() || value.get<std::int64_t>() <= 0)
    bad(source, "'" + key + "' must be a positive integer (got " + value.dump() + ")");
  return value.get<std::int64_t>();
}

bool boolean(const Json& value, const std::string& source, const std::string& key) {
  if (!value.is_boolean()) bad(source, "'" + key + "' must be true or false (got " + value.dump() + ")");
  return value.get<bool>();
}

}  // namespace

std::int64_t MambaConfig::parameter_count() const {
  const std::int64_t per_layer = d_model                            // norm
                                 + 2 * d_inner * d_model            // in_proj
                                 + d_inner * d_conv                 // conv1d weight
                                 + (use_conv_bias ? d_inner : 0)    // conv1d bias
                                 + x_proj_rows() * d_inner          // x_proj
                                 + d_inner * dt_rank + d_inner      // dt_proj weight and bias
                                 + d_inner * d_state + d_inner      // A_log, D
                                 + d_model * d_inner;               // out_proj
  return vocab_size * d_model * (tie_embeddings ? 1 : 2) + n_layer * per_layer + d_model;
}

MambaConfig config_from_json(const Json& json, const std::string& source) {
  if (!json.is_object()) bad(source, "config is not a JSON object");
  MambaConfig c;
  const bool hf_family = json.contains("hidden_size");
  const Json* v = find_key(json, {"hidden_size", "d_model"});
  if (!v) bad(source, "missing 'hidden_size' (or 'd_model')");
  c.d_model = positive_int(*v, source, "hidden_size");
  v = find_key(json, {"num_hidden_layers", "n_layer"});
  if (!v) bad(source, "missing 'num_hidden_layers' (or 'n_layer')");
  c.n_layer = positive_int(*v, source, "num_hidden_layers");
  if ((v = find_key(json, {"expand"}))) c.expand = positive_int(*v, source, "expand");
  c.d_inner = c.expand * c.d_model;
  if ((v = find_key(json, {"intermediate_size", "d_inner"}))) c.d_inner = positive_int(*v, source, "intermediate_size");
  if ((v = find_key(json, {"state_size", "d_state"}))) c.d_state = positive_int(*v, source, "state_size");
  if ((v = find_key(json, {"conv_kernel", "d_conv"}))) c.d_conv = positive_int(*v, source, "conv_kernel");
  c.dt_rank = (c.d_model + 15) / 16;
  if ((v = find_key(json, {"time_step_rank", "dt_rank"})) && !(v->is_string() && v->get<std::string>() == "auto"))
    c.dt_rank = positive_int(*v, source, "time_step_rank");
  v = find_key(json, {"vocab_size"});
  if (!v) bad(source, "missing 'vocab_size'");
  c.vocab_size = positive_int(*v, source, "vocab_size");
  if (!hf_family) {
    // mamba_ssm pads the embedding rows (50277 -> 50280); HF configs store the padded count already.
    std::int64_t multiple = 8;
    if ((v = find_key(json, {"pad_vocab_size_multiple"}))) multiple = positive_int(*v, source, "pad_vocab_size_multiple");
    c.vocab_size = (c.vocab_size + multiple - 1) / multiple * multiple;
  }
  if ((v = find_key(json, {"layer_norm_epsilon", "norm_epsilon"}))) {
    if (!v->is_number() || v->get<double>() <= 0.0) bad(source, "'layer_norm_epsilon' must be a positive number");
    c.norm_eps = v->get<double>();
  }
  if ((v = find_key(json, {"use_bias", "bias"})) && boolean(*v, source, "use_bias"))
    bad(source, "'use_bias': true (in_proj/out_proj biases) is not supported; no released Mamba checkpoint uses it");
  if ((v = find_key(json, {"use_conv_bias", "conv_bias"}))) c.use_conv_bias = boolean(*v, source, "use_conv_bias");
  if ((v = find_key(json, {"residual_in_fp32"}))) c.residual_in_fp32 = boolean(*v, source, "residual_in_fp32");
  if ((v = find_key(json, {"tie_word_embeddings", "tie_embeddings"})))
    c.tie_embeddings = boolean(*v, source, "tie_word_embeddings");
  if ((v = find_key(json, {"hidden_act"})) && !(v->is_string() && v->get<std::string>() == "silu"))
    bad(source, "'hidden_act' " + v->dump() + " is not supported (Mamba uses \"silu\")");
  if ((v = find_key(json, {"rms_norm"})) && !boolean(*v, source, "rms_norm"))
    bad(source, "'rms_norm': false (LayerNorm blocks) is not supported");
  if ((v = find_key(json, {"eos_token_id"})) && v->is_number_integer()) c.eos_token_id = v->get<std::int64_t>();
  return c;
}

MambaConfig load_config(const std::string& path) {
  const std::string text = read_file(path);
  Json json = Json::parse(text, nullptr, false);
  if (json.is_discarded()) throw Error(ErrorKind::usage, path + ": not valid JSON");
  return config_from_json(json, path);
}

Json config_to_hf_json(const MambaConfig& c) {
  Json j = Json::object();
  j["architectures"] = Json::array({"MambaForCausalLM"});
  j["model_type"] = "mamba";
  j["hidden_size"] = c.d_model;
  j["intermediate_size"] = c.d_inner;
  j["num_hidden_layers"] = c.n_layer;
  j["state_size"] = c.d_state;
  j["conv_kernel"] = c.d_conv;
  j["expand"] = c.expand;
  j["time_step_rank"] = c.dt_rank;
  j["vocab_size"] = c.vocab_size;
  j["layer_norm_epsilon"] = c.norm_eps;
  j["use_bias"] = false;
  j["use_conv_bias"] = c.use_conv_bias;
  j["hidden_act"] = "silu";
  j["residual_in_fp32"] = c.residual_in_fp32;
  j["tie_word_embeddings"] = c.tie_embeddings;
  j["initializer_range"] = 0.1;
  j["rescale_prenorm_residual"] = false;
  j["time_step_init_scheme"] = "random";
  j["time_step_min"] = 0.001;
  j["time_step_max"] = 0.1;
  j["time_step_floor"] = 0.0001;
  j["time_step_scale"] = 1.0;
  j["bos_token_id"] = 0;
  j["eos_token_id"] = c.eos_token_id;
  j["pad_token_id"] = 0;
  j["torch_dtype"] = "float32";
  j["use_cache"] = true;
  // The mamba_ssm family, as the -hf repositories carry it beside the HF keys.
  j["d_model"] = c.d_model;
  j["n_layer"] = c.n_layer;
  j["d_inner"] = c.d_inner;
  j["rms_norm"] = true;
  j["fused_add_norm"] = true;
  j["pad_vocab_size_multiple"] = 8;
  j["ssm_cfg"] = Json::object();
  return j;
}

}  // namespace corey::model
