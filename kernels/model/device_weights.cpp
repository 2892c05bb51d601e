#include "device_weights.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"

namespace corey::cuda {
namespace {

DeviceBuffer upload_as(const std::vector<float>& values, DType dtype, std::int64_t& bytes) {
  std::vector<std::uint8_t> host(values.size() * dtype_bytes(dtype));
  for (std::size_t i = 0; i < values.size(); ++i)
    store_from_f32(host.data(), dtype, static_cast<std::int64_t>(i), values[i]);
  DeviceBuffer buffer(host.size());
  buffer.upload(host.data(), host.size());
  bytes += static_cast<std::int64_t>(host.size());
  return buffer;
}

// fp32 storage of the values a `dtype` tensor holds.
DeviceBuffer upload_rounded(const std::vector<float>& values, DType dtype, std::int64_t& bytes) {
  std::vector<float> rounded(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::uint8_t one[4];
    store_from_f32(one, dtype, 0, values[i]);
    rounded[i] = load_as_f32(one, dtype, 0);
  }
  return upload_as(rounded, DType::f32, bytes);
}

// x_proj's rows [dt (R), B (N), C (N)] as [dt, B, 0…, C, 0…] with 16 rows each for B and C.
std::vector<float> pad_x_proj(const std::vector<float>& x_proj, std::int64_t R, std::int64_t N, std::int64_t D) {
  std::vector<float> padded(static_cast<std::size_t>((R + 2 * kModelStates) * D), 0.0f);
  auto copy_rows = [&](std::int64_t from, std::int64_t to, std::int64_t rows) {
    std::copy_n(x_proj.begin() + from * D, rows * D, padded.begin() + to * D);
  };
  copy_rows(0, 0, R);
  copy_rows(R, R, N);
  copy_rows(R + N, R + kModelStates, N);
  return padded;
}

// A_log [D, N] as [D, 16]; a padded state's A (= −1) never matters, its B and C are 0.
std::vector<float> pad_a_log(const std::vector<float>& a_log, std::int64_t N, std::int64_t D) {
  std::vector<float> padded(static_cast<std::size_t>(D * kModelStates), 0.0f);
  for (std::int64_t d = 0; d < D; ++d)
    std::copy_n(a_log.begin() + d * N, N, padded.begin() + d * kModelStates);
  return padded;
}

}  // namespace

DeviceModelWeights upload_weights(const model::MambaWeights& w, DType dtype) {
  if (dtype != DType::f32 && dtype != DType::f16 && dtype != DType::bf16)
    throw_usage_error("CUDA model: weights dtype must be fp32, fp16 or bf16 (got " + std::string(to_string(dtype)) + ")");
  const std::int64_t N = w.config.d_state, R = w.config.dt_rank, D = w.config.d_inner;
  if (N < 1 || N > kModelStates)
    throw_usage_error("CUDA model: d_state must be in [1, " + std::to_string(kModelStates) +
                      "] (the device kernels hold 16 states per channel), got " + std::to_string(N));
  DeviceModelWeights d;
  d.config = w.config;
  d.dtype = dtype;
  d.embeddings = upload_as(w.embeddings, dtype, d.bytes);
  for (const model::LayerWeights& l : w.layers) {
    DeviceLayerWeights dl;
    dl.norm = upload_rounded(l.norm, dtype, d.bytes);
    dl.in_proj = upload_as(l.in_proj, dtype, d.bytes);
    dl.conv_w = upload_rounded(l.conv_w, dtype, d.bytes);
    dl.conv_b = upload_rounded(l.conv_b, dtype, d.bytes);
    const std::vector<float> x_proj = pad_x_proj(l.x_proj, R, N, D);
    dl.x_proj = upload_as(x_proj, dtype, d.bytes);
    const std::int64_t P = R + 2 * kModelStates;
    std::vector<float> transposed(x_proj.size());
    for (std::int64_t p = 0; p < P; ++p)
      for (std::int64_t c = 0; c < D; ++c)
        transposed[static_cast<std::size_t>(c * P + p)] = x_proj[static_cast<std::size_t>(p * D + c)];
    std::int64_t copy_bytes = 0;
    dl.x_proj_t = upload_as(transposed, dtype, copy_bytes);
    dl.dt_proj_w = upload_as(l.dt_proj_w, dtype, d.bytes);
    dl.dt_proj_b = upload_rounded(l.dt_proj_b, dtype, d.bytes);
    dl.A_log = upload_rounded(pad_a_log(l.A_log, N, D), dtype, d.bytes);
    dl.D_skip = upload_rounded(l.D_skip, dtype, d.bytes);
    dl.out_proj = upload_as(l.out_proj, dtype, d.bytes);
    d.layers.push_back(std::move(dl));
  }
  d.norm_f = upload_rounded(w.norm_f, dtype, d.bytes);
  if (!w.lm_head.empty()) d.lm_head = upload_as(w.lm_head, dtype, d.bytes);
  return d;
}

}  // namespace corey::cuda
