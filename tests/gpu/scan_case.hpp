#pragma once
// A random selective-scan problem held on the host (in its I/O dtype) and mirrored on the device, with the
// input distribution of KERNELS.md §9 (unit-scale: u ∈ [−1, 1], raw dt ∈ [−3, 0], dt_bias ∈ [−4.5, −2.2],
// z ∈ [−2, 2], B, C ∈ [−1, 1], A = −(n+1)·U[0.9, 1.1] given as A_log).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "core/half.hpp"
#include "cuda_backend.hpp"
#include "scan/scan_op.hpp"

namespace corey::gpu_test {

struct Shape {
  std::int64_t batch = 1, dim = 16, seqlen = 256, groups = 1;
  DType dtype = DType::f32;
  bool gate = true;
  bool softplus = true;   // without it, delta = dt + bias is drawn positive (no softplus to make it so)
  bool const_bc = false;  // time-invariant B/C of shape (D, N): groups = D, time stride 0
  bool h0 = true;
};

inline std::uint16_t to_storage(float v, DType t) { return t == DType::f16 ? fp32_to_fp16(v) : fp32_to_bf16(v); }

class ScanCase {
 public:
  ScanCase(const Shape& s, std::uint64_t seed) : shape(s) {
    std::mt19937_64 rng(seed);
    auto uni = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
    const std::int64_t n_act = s.batch * s.dim * s.seqlen;
    const std::int64_t groups = s.const_bc ? s.dim : s.groups;
    const std::int64_t n_bc = s.const_bc ? s.dim * 16 : s.batch * groups * 16 * s.seqlen;
    u = make(n_act, [&] { return uni(-1, 1); });
    dt = make(n_act, [&] { return s.softplus ? uni(-3, 0) : uni(0.001, 0.2); });
    z = make(n_act, [&] { return uni(-2, 2); });
    Bm = make(n_bc, [&] { return uni(-1, 1); });
    Cm = make(n_bc, [&] { return uni(-1, 1); });
    for (std::int64_t d = 0; d < s.dim; ++d) {
      for (int n = 0; n < 16; ++n) A_log.push_back(static_cast<float>(std::log((n + 1) * uni(0.9, 1.1))));
      D_skip.push_back(static_cast<float>(uni(-1, 1)));
      bias.push_back(static_cast<float>(s.softplus ? uni(-4.5, -2.2) : uni(0.0, 0.05)));
    }
    for (std::int64_t i = 0; i < s.batch * s.dim * 16; ++i) h0.push_back(static_cast<float>(uni(-0.5, 0.5)));

    d_u = upload(u), d_dt = upload(dt), d_z = upload(z), d_B = upload(Bm), d_C = upload(Cm);
    d_A = upload(A_log), d_Dskip = upload(D_skip), d_bias = upload(bias), d_h0 = upload(h0);
    d_out = cuda::DeviceBuffer(static_cast<std::size_t>(n_act) * elem());
    host_out.resize(static_cast<std::size_t>(n_act) * elem());
    d_hT = cuda::DeviceBuffer(static_cast<std::size_t>(s.batch * s.dim * 16) * sizeof(float));

    problem = fill(/*device=*/true);
    host_problem = fill(/*device=*/false);
  }

  std::size_t elem() const { return dtype_bytes(shape.dtype); }
  std::int64_t n_out() const { return shape.batch * shape.dim * shape.seqlen; }

  // Output of the last device run, widened to fp32.
  std::vector<float> out_f32() const {
    std::vector<std::uint8_t> raw(static_cast<std::size_t>(n_out()) * elem());
    d_out.download(raw.data(), raw.size());
    std::vector<float> v(static_cast<std::size_t>(n_out()));
    for (std::int64_t i = 0; i < n_out(); ++i) v[static_cast<std::size_t>(i)] = load_as_f32(raw.data(), shape.dtype, i);
    return v;
  }
  std::vector<std::uint8_t> out_bytes() const {
    std::vector<std::uint8_t> raw(static_cast<std::size_t>(n_out()) * elem());
    d_out.download(raw.data(), raw.size());
    return raw;
  }
  std::vector<float> hT() const {
    std::vector<float> v(static_cast<std::size_t>(shape.batch * shape.dim * 16));
    d_hT.download(v.data(), v.size() * sizeof(float));
    return v;
  }
  void poison_outputs() {
    d_out.fill_bytes(0xff);  // NaN in every dtype: an unwritten element cannot pass a comparison
    d_hT.fill_bytes(0xff);
  }

  Shape shape;
  std::vector<std::uint8_t> u, dt, z, Bm, Cm;  // raw storage in the I/O dtype
  std::vector<float> A_log, D_skip, bias, h0;
  std::vector<std::uint8_t> host_out;
  cuda::DeviceBuffer d_u, d_dt, d_z, d_B, d_C, d_A, d_Dskip, d_bias, d_h0, d_out, d_hT;
  scan::ScanProblem problem;       // device pointers
  scan::ScanProblem host_problem;  // host pointers, for the oracle

 private:
  template <typename F>
  std::vector<std::uint8_t> make(std::int64_t n, F&& draw) {
    std::vector<std::uint8_t> v(static_cast<std::size_t>(n) * elem());
    for (std::int64_t i = 0; i < n; ++i) store_from_f32(v.data(), shape.dtype, i, static_cast<float>(draw()));
    return v;
  }
  template <typename T>
  static cuda::DeviceBuffer upload(const std::vector<T>& v) {
    cuda::DeviceBuffer b(v.size() * sizeof(T));
    b.upload(v.data(), v.size() * sizeof(T));
    return b;
  }
  scan::ScanProblem fill(bool device) {
    const Shape& s = shape;
    scan::ScanProblem p;
    p.batch = s.batch;
    p.dim = s.dim;
    p.seqlen = s.seqlen;
    p.dstate = 16;
    p.groups = s.const_bc ? s.dim : s.groups;
    p.io_dtype = s.dtype;
    const auto act = scan::contiguous_bdl(s.dim, s.seqlen);
    p.u = device ? d_u.data() : u.data();
    p.u_stride = act;
    p.delta = device ? d_dt.data() : dt.data();
    p.delta_stride = act;
    p.z = s.gate ? (device ? d_z.data() : z.data()) : nullptr;
    p.z_stride = act;
    p.delta_softplus = s.softplus;
    p.B = device ? d_B.data() : Bm.data();
    p.C = device ? d_C.data() : Cm.data();
    if (s.const_bc) {
      p.B_stride = {0, 16, 1, 0};
    } else {
      p.B_stride = scan::contiguous_bgnl(s.groups, 16, s.seqlen);
    }
    p.C_stride = p.B_stride;
    p.A = device ? static_cast<const float*>(d_A.data()) : A_log.data();
    p.a_form = scan::AForm::a_log;
    p.D_skip = device ? static_cast<const float*>(d_Dskip.data()) : D_skip.data();
    p.delta_bias = device ? static_cast<const float*>(d_bias.data()) : bias.data();
    p.h0 = s.h0 ? (device ? static_cast<const float*>(d_h0.data()) : h0.data()) : nullptr;
    p.hT = device ? static_cast<float*>(d_hT.data()) : nullptr;
    p.out = device ? d_out.data() : static_cast<void*>(host_out.data());  // the oracle only checks it is set
    p.out_stride = act;
    return p;
  }
};

}  // namespace corey::gpu_test
