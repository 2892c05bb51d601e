#include "bench/scan_inputs.hpp"

#include <cmath>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "core/npy.hpp"
#include "core/numpy_random.hpp"
#include "core/safetensors.hpp"

namespace corey::bench {
namespace {

std::vector<unsigned char> to_dtype(const std::vector<double>& values, DType dtype) {
  std::vector<unsigned char> bytes(values.size() * dtype_bytes(dtype));
  for (std::size_t i = 0; i < values.size(); ++i)
    store_from_f32(bytes.data(), dtype, static_cast<std::int64_t>(i), static_cast<float>(values[i]));
  return bytes;
}

std::vector<double> draw_u(core::NumpyGenerator& rng, std::size_t n, Distribution dist) {
  std::vector<double> u(n);
  switch (dist) {
    case Distribution::normal:
      for (double& v : u) v = rng.standard_normal();
      break;
    case Distribution::uniform:
      for (double& v : u) v = rng.next_double();
      break;
    case Distribution::laplace:
      // The paper's inverse-CDF formula, from an fp32 uniform: u = −sign(U − ½)·ln(1 − 2|U − ½| + 1e-8).
      for (double& v : u) {
        const float U = static_cast<float>(rng.next_double());
        const float c = U - 0.5f;
        const float sign = c > 0 ? 1.0f : (c < 0 ? -1.0f : 0.0f);
        v = -sign * std::log(1.0f - 2.0f * std::abs(c) + 1e-8f);
      }
      break;
    case Distribution::sparse10:
    case Distribution::sparse2: {
      // mask = rand(shape) < p, drawn first for the whole tensor, then randn(shape), as the paper's script.
      const double p = dist == Distribution::sparse10 ? 0.10 : 0.02;
      const double scale = dist == Distribution::sparse10 ? 1.0 : 5.0;
      std::vector<bool> mask(n);
      for (std::size_t i = 0; i < n; ++i) mask[i] = rng.next_double() < p;
      for (std::size_t i = 0; i < n; ++i) {
        const double z = rng.standard_normal();
        u[i] = mask[i] ? scale * z : 0.0;
      }
      break;
    }
  }
  return u;
}

// u from a file; sets batch, dim and seqlen from its shape.
std::vector<double> load_u(SourceSpec& spec) {
  std::vector<double> storage;
  DType dtype = DType::f32;
  std::vector<std::int64_t> shape;
  const std::string& path = spec.u_file;
  if (path.ends_with(".safetensors")) {
    core::SafetensorsFile file(path);
    if (spec.u_tensor.empty()) throw_usage_error(path + ": name the tensor to use (params.tensor)");
    const core::SafetensorInfo& info = file.tensor(spec.u_tensor);
    storage = file.copy_aligned(info);
    dtype = *info.dtype;
    shape = info.shape;
  } else {
    core::NpyArray array = core::read_npy(path);
    dtype = array.dtype;
    shape = array.shape;
    storage = std::move(array.storage);
  }
  const std::string what = path + (spec.u_tensor.empty() ? "" : ":" + spec.u_tensor);
  if (shape.size() == 2) shape.insert(shape.begin(), 1);
  if (shape.size() != 3 || shape[0] < 1 || shape[1] < 1 || shape[2] < 1)
    throw_usage_error(what + ": u must have shape (B, D, L) or (D, L) with positive sizes");
  spec.batch = shape[0];
  spec.dim = shape[1];
  spec.seqlen = shape[2];
  const std::int64_t n = spec.batch * spec.dim * spec.seqlen;
  std::vector<double> u(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    u[static_cast<std::size_t>(i)] = load_as_f64(storage.data(), dtype, i);
    if (!std::isfinite(u[static_cast<std::size_t>(i)]))
      throw_usage_error(what + ": non-finite value (NaN or Inf) at flat index " + std::to_string(i));
  }
  return u;
}

}  // namespace

std::string_view to_string(Distribution dist) {
  switch (dist) {
    case Distribution::normal:
      return "normal";
    case Distribution::uniform:
      return "uniform";
    case Distribution::laplace:
      return "laplace";
    case Distribution::sparse10:
      return "sparse10";
    case Distribution::sparse2:
      return "sparse2";
  }
  return "?";
}

Distribution distribution_from_string(std::string_view name) {
  for (Distribution d : {Distribution::normal, Distribution::uniform, Distribution::laplace, Distribution::sparse10,
                         Distribution::sparse2}) {
    if (to_string(d) == name) return d;
  }
  throw_usage_error("unknown distribution '" + std::string(name) +
                    "' (expected normal, uniform, laplace, sparse10 or sparse2)");
}

std::string_view to_string(Workload workload) {
  switch (workload) {
    case Workload::w1:
      return "w1";
    case Workload::w1_stable:
      return "w1_stable";
    case Workload::mamba370m:
      return "mamba370m";
    case Workload::shape:
      return "shape";
  }
  return "?";
}

Workload workload_from_string(std::string_view name) {
  for (Workload w : {Workload::w1, Workload::w1_stable, Workload::mamba370m, Workload::shape}) {
    if (to_string(w) == name) return w;
  }
  throw_usage_error("unknown workload '" + std::string(name) + "' (expected w1, w1_stable, mamba370m or shape)");
}

bool is_w1_family(Workload workload) { return workload == Workload::w1 || workload == Workload::w1_stable; }

ScanInputs::ScanInputs(const SourceSpec& spec) : spec_(spec) {
  if (spec_.dtype == DType::f64) throw_usage_error("scan inputs: the I/O dtype must be fp32, fp16 or bf16");
  core::NumpyGenerator rng(spec_.seed);
  std::vector<double> u;
  if (!spec_.u_file.empty()) {
    u = load_u(spec_);
  } else {
    if (spec_.batch < 1 || spec_.dim < 1 || spec_.seqlen < 1 || spec_.dstate < 1)
      throw_usage_error("scan inputs: batch, d_inner, seq_len and d_state must be positive");
    u = draw_u(rng, static_cast<std::size_t>(spec_.batch * spec_.dim * spec_.seqlen), spec_.dist);
  }
  const auto n_bdl = static_cast<std::size_t>(spec_.batch * spec_.dim * spec_.seqlen);
  const auto N = static_cast<std::size_t>(spec_.dstate);
  const auto D = static_cast<std::size_t>(spec_.dim);
  u_ = to_dtype(u, spec_.dtype);
  std::vector<double> delta(n_bdl);
  const bool w1 = is_w1_family(spec_.workload);
  for (double& v : delta) v = w1 ? rng.next_double() : rng.next_double() - 0.5;
  delta_ = to_dtype(delta, spec_.dtype);
  if (w1) {
    std::vector<double> a(D * N), b(D * N), c(D * N);
    for (double& v : a) v = rng.standard_normal();
    for (double& v : b) v = rng.standard_normal();
    for (double& v : c) v = rng.standard_normal();
    if (spec_.workload == Workload::w1_stable)
      for (double& v : a) v = -std::fabs(v);
    A_.assign(a.begin(), a.end());
    B_ = to_dtype(b, spec_.dtype);
    C_ = to_dtype(c, spec_.dtype);
    D_skip_.resize(D);
    for (float& v : D_skip_) v = static_cast<float>(rng.standard_normal());
  } else {
    const auto n_bnl = static_cast<std::size_t>(spec_.batch) * N * static_cast<std::size_t>(spec_.seqlen);
    std::vector<double> b(n_bnl), c(n_bnl), z(n_bdl);
    for (double& v : b) v = rng.standard_normal();
    for (double& v : c) v = rng.standard_normal();
    for (double& v : z) v = rng.standard_normal();
    B_ = to_dtype(b, spec_.dtype);
    C_ = to_dtype(c, spec_.dtype);
    z_ = to_dtype(z, spec_.dtype);
    A_.resize(D * N);
    for (std::size_t d = 0; d < D; ++d)
      for (std::size_t n = 0; n < N; ++n) A_[d * N + n] = static_cast<float>(std::log(static_cast<double>(n + 1)));
    D_skip_.assign(D, 1.0f);
    delta_bias_.resize(D);
    for (float& v : delta_bias_) {
      const double target = std::exp(std::log(0.001) + rng.next_double() * (std::log(0.1) - std::log(0.001)));
      v = static_cast<float>(target + std::log(-std::expm1(-target)));  // softplus⁻¹
    }
  }
  out_.assign(n_bdl * dtype_bytes(spec_.dtype), 0);
  h_out_.assign(static_cast<std::size_t>(spec_.batch) * D * N, 0.0f);
}

scan::ScanProblem ScanInputs::problem() {
  scan::ScanProblem p;
  p.batch = spec_.batch;
  p.dim = spec_.dim;
  p.seqlen = spec_.seqlen;
  p.dstate = spec_.dstate;
  p.io_dtype = spec_.dtype;
  const scan::Strides3 bdl = scan::contiguous_bdl(spec_.dim, spec_.seqlen);
  p.u = u_.data();
  p.u_stride = bdl;
  p.delta = delta_.data();
  p.delta_stride = bdl;
  p.out = out_.data();
  p.out_stride = bdl;
  if (is_w1_family(spec_.workload)) {
    // Time-invariant (D, N) B and C: one group per channel, no time or batch stride.
    p.groups = spec_.dim;
    p.B_stride = p.C_stride = scan::Strides4{0, spec_.dstate, 1, 0};
    p.a_form = scan::AForm::a;
  } else {
    p.groups = 1;
    p.B_stride = p.C_stride = scan::contiguous_bgnl(1, spec_.dstate, spec_.seqlen);
    p.z = z_.data();
    p.z_stride = bdl;
    p.a_form = scan::AForm::a_log;
    p.delta_bias = delta_bias_.data();
  }
  p.B = B_.data();
  p.C = C_.data();
  p.A = A_.data();
  p.D_skip = D_skip_.data();
  p.delta_softplus = true;
  p.hT = h_out_.data();
  return p;
}

Json ScanInputs::describe() const {
  Json j = Json::object();
  j["workload"] = std::string(to_string(spec_.workload));
  j["bc"] = is_w1_family(spec_.workload) ? "time_invariant" : "input_dependent";
  j["u_source"] = spec_.u_file.empty() ? Json(std::string(to_string(spec_.dist)))
                                       : Json(spec_.u_file + (spec_.u_tensor.empty() ? "" : ":" + spec_.u_tensor));
  j["seed"] = spec_.seed;
  j["shape"] = {spec_.batch, spec_.dim, spec_.seqlen, spec_.dstate};
  j["dtype"] = std::string(to_string(spec_.dtype));
  return j;
}

}  // namespace corey::bench
