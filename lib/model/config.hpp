#pragma once
#include <cstdint>
#include <string>

#include "core/json.hpp"

namespace corey::model {

// The shape of a Mamba-1 language model (KERNELS.md §3, §4.3). Sizes are element counts.
struct MambaConfig {
  std::int64_t d_model = 0;     // M (hidden_size)
  std::int64_t n_layer = 0;     // num_hidden_layers
  std::int64_t d_inner = 0;     // D (intermediate_size) = expand · M unless given
  std::int64_t d_state = 16;    // N (state_size)
  std::int64_t d_conv = 4;      // K (conv_kernel)
  std::int64_t expand = 2;
  std::int64_t dt_rank = 0;     // R (time_step_rank) = ceil(M / 16) unless given
  std::int64_t vocab_size = 0;  // rows of the embedding matrix (already padded)
  double norm_eps = 1e-5;       // layer_norm_epsilon
  bool use_conv_bias = true;
  bool residual_in_fp32 = true;
  bool tie_embeddings = true;   // tie_word_embeddings (HF) / tie_embeddings (mamba_ssm)
  std::int64_t eos_token_id = 0;

  std::int64_t x_proj_rows() const { return dt_rank + 2 * d_state; }
  std::int64_t parameter_count() const;  // embeddings + layers + norm_f (+ lm_head when untied)
};

// Reads either key family of KERNELS.md §4.3: HF (`hidden_size`, `num_hidden_layers`, `intermediate_size`,
// `state_size`, `conv_kernel`, `time_step_rank`, ...) or mamba_ssm (`d_model`, `n_layer`, `ssm_cfg`,
// `pad_vocab_size_multiple`); the explicit keys win, missing ones are derived (D = expand·M, R = ceil(M/16),
// N = 16, K = 4, and for the mamba_ssm family the vocabulary padded to a multiple of 8). Throws corey::Error
// (usage) naming `source` and the key for a missing, mistyped or unsupported value (use_bias = true,
// an activation other than silu, a non-positive size).
MambaConfig config_from_json(const Json& json, const std::string& source);

// Reads and parses a config.json file (kind io when it cannot be read, usage for bad JSON or values).
MambaConfig load_config(const std::string& path);

// The HF `config.json` of a MambaForCausalLM with this shape (both key families, as mamba-130m-hf has).
Json config_to_hf_json(const MambaConfig& config);

}  // namespace corey::model
