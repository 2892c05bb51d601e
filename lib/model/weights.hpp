#pragma once
#include <string>
#include <vector>

#include "model/config.hpp"

namespace corey::model {

// One mixer block's parameters in fp32, row-major with the HF shapes of KERNELS.md §4.2.
struct LayerWeights {
  std::vector<float> norm;       // [M]
  std::vector<float> in_proj;    // [2D, M]
  std::vector<float> conv_w;     // [D, K] (HF [D, 1, K])
  std::vector<float> conv_b;     // [D] (zeros when use_conv_bias is false)
  std::vector<float> x_proj;     // [R + 2N, D]
  std::vector<float> dt_proj_w;  // [D, R]
  std::vector<float> dt_proj_b;  // [D]
  std::vector<float> A_log;      // [D, N]
  std::vector<float> D_skip;     // [D]
  std::vector<float> out_proj;   // [M, D]
};

// A whole MambaForCausalLM in fp32 host memory.
struct MambaWeights {
  MambaConfig config;
  std::vector<float> embeddings;  // [V, M]
  std::vector<LayerWeights> layers;
  std::vector<float> norm_f;      // [M]
  std::vector<float> lm_head;     // [V, M]; empty when the head is tied to the embeddings
  std::vector<std::string> notes; // loader remarks a caller may show (e.g. a stored lm_head that was ignored)

  const std::vector<float>& head() const { return lm_head.empty() ? embeddings : lm_head; }
};

}  // namespace corey::model
