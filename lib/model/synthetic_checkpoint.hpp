#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/half.hpp"
#include "core/numpy_random.hpp"
#include "model/config.hpp"

namespace corey::model {

// The released Mamba-1 sizes of KERNELS.md §3.2 ("mamba-130m" … "mamba-2.8b"): vocab 50280, N 16, K 4,
// expand 2, tied head. Throws corey::Error (usage) listing the known names.
MambaConfig config_like(const std::string& name);
std::vector<std::string> known_model_sizes();

// Fills one tensor (sized by the caller) with the statistics below, drawing from `rng` in element order;
// tensors drawn in file order from one generator reproduce a written checkpoint bit for bit.
void fill_synthetic_tensor(const std::string& name, std::int64_t d_state, core::NumpyGenerator& rng,
                           std::vector<float>& values);

// Writes config.json and model.safetensors in the exact HF layout with the initialisation statistics of
// KERNELS.md §4.4: A_log[d, n] = log(n + 1); dt_proj.bias = softplus⁻¹(δ₀), δ₀ log-uniform in
// [1e-3, 1e-1] (floored at 1e-4); D = 1; conv bias 0; norms 1; every other weight normal(0, 0.02). Draws
// come from numpy's default_rng(seed) stream (core::NumpyGenerator) in file order; the seed, the size name
// and the writer go into __metadata__. Tensors are generated and written one at a time.
void write_synthetic_checkpoint(const std::string& dir, const MambaConfig& config, std::uint64_t seed,
                                DType dtype = DType::f32, const std::string& like = "custom");

}  // namespace corey::model
