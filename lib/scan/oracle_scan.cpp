#include "scan/oracle_scan.hpp"

#include <cmath>

namespace corey::scan {

OracleResult oracle_scan(const ScanProblem& p, ThreadPool* pool) {
  validate(p);
  const std::int64_t N = p.dstate;
  const std::int64_t rows = p.batch * p.dim;
  OracleResult result;
  result.out.resize(static_cast<std::size_t>(rows * p.seqlen));
  result.hT.resize(static_cast<std::size_t>(rows * N));
  auto body = [&](std::int64_t begin, std::int64_t end) {
    std::vector<double> h(static_cast<std::size_t>(N));
    std::vector<double> A(static_cast<std::size_t>(N));
    for (std::int64_t r = begin; r < end; ++r) {
      const std::int64_t b = r / p.dim;
      const std::int64_t d = r % p.dim;
      const std::int64_t g = d / (p.dim / p.groups);
      for (std::int64_t n = 0; n < N; ++n) {
        const double a = p.A[d * N + n];
        A[n] = p.a_form == AForm::a_log ? -std::exp(a) : a;
        h[n] = p.h0 ? p.h0[r * N + n] : 0.0;
      }
      const double bias = p.delta_bias ? p.delta_bias[d] : 0.0;
      const double d_skip = p.D_skip ? p.D_skip[d] : 0.0;
      for (std::int64_t t = 0; t < p.seqlen; ++t) {
        const double u = load_as_f64(p.u, p.io_dtype, b * p.u_stride.b + d * p.u_stride.d + t * p.u_stride.l);
        const double x =
            load_as_f64(p.delta, p.io_dtype, b * p.delta_stride.b + d * p.delta_stride.d + t * p.delta_stride.l) + bias;
        const double delta = p.delta_softplus ? (x <= 20.0 ? std::log1p(std::exp(x)) : x) : x;
        double y = 0.0;
        for (std::int64_t n = 0; n < N; ++n) {
          const double Bv =
              load_as_f64(p.B, p.io_dtype, b * p.B_stride.b + g * p.B_stride.g + n * p.B_stride.n + t * p.B_stride.l);
          const double Cv =
              load_as_f64(p.C, p.io_dtype, b * p.C_stride.b + g * p.C_stride.g + n * p.C_stride.n + t * p.C_stride.l);
          h[n] = std::exp(delta * A[n]) * h[n] + delta * u * Bv;
          y += h[n] * Cv;
        }
        y += d_skip * u;
        if (p.z) {
          const double z = load_as_f64(p.z, p.io_dtype, b * p.z_stride.b + d * p.z_stride.d + t * p.z_stride.l);
          y *= z / (1.0 + std::exp(-z));
        }
        result.out[static_cast<std::size_t>(r * p.seqlen + t)] = y;
      }
      for (std::int64_t n = 0; n < N; ++n) result.hT[static_cast<std::size_t>(r * N + n)] = h[n];
    }
  };
  if (pool) {
    pool->parallel_for(rows, body);
  } else {
    body(0, rows);
  }
  return result;
}

}  // namespace corey::scan
