#pragma once
#include <cstdint>
#include <vector>

#include "core/half.hpp"
#include "cuda_backend.hpp"
#include "model/weights.hpp"

namespace corey::cuda {

// The device kernels' state count (the `seq` scan and the decode step hold 16 states per channel). A model with
// fewer states is zero-padded to it on upload: a padded state has B = C = 0, so it stays 0 and adds exact zeros.
constexpr int kModelStates = 16;

// One mixer block on the device. Matrices are stored in the model dtype; the per-channel vectors in fp32
// holding values rounded through that dtype (KERNELS.md §1.1: A, D_skip and delta_bias are fp32 inputs), so
// every weight has the value a half-precision model has.
struct DeviceLayerWeights {
  DeviceBuffer norm;       // fp32 [M]
  DeviceBuffer in_proj;    // dtype [2D, M]
  DeviceBuffer conv_w;     // fp32 [D, K]
  DeviceBuffer conv_b;     // fp32 [D]
  DeviceBuffer x_proj;     // dtype [R + 2·16, D]: rows dt, B, C, the B and C rows zero-padded to 16 states
  DeviceBuffer x_proj_t;   // dtype [D, R + 2·16]: the decode step's layout (a channel's column contiguous)
  DeviceBuffer dt_proj_w;  // dtype [D, R]
  DeviceBuffer dt_proj_b;  // fp32 [D]
  DeviceBuffer A_log;      // fp32 [D, 16], padded states 0
  DeviceBuffer D_skip;     // fp32 [D]
  DeviceBuffer out_proj;   // dtype [M, D]
};

struct DeviceModelWeights {
  model::MambaConfig config;
  DType dtype = DType::f32;
  DeviceBuffer embeddings;  // dtype [V, M]
  std::vector<DeviceLayerWeights> layers;
  DeviceBuffer norm_f;      // fp32 [M]
  DeviceBuffer lm_head;     // dtype [V, M]; empty when tied
  std::int64_t bytes = 0;   // the uploaded weights (x_proj once, with any state padding)

  const void* head() const { return lm_head.bytes() ? lm_head.data() : embeddings.data(); }
};

// Uploads `weights` to the current device in `dtype` (fp32, fp16 or bf16; throws corey::Error usage otherwise,
// and for d_state above 16).
DeviceModelWeights upload_weights(const model::MambaWeights& weights, DType dtype);

}  // namespace corey::cuda
