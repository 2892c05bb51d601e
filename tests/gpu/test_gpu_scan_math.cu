// GPU test of scan_math.cuh, the per-element math every GPU scan and decode path shares: softplus and the gate
// evaluated on the device over a dense sweep of fp32 inputs against fp64 on the host.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#if __has_include(<catch2/catch_test_macros.hpp>)
#include <catch2/catch_test_macros.hpp>
#else
#include <catch2/catch.hpp>
#endif

#include "cuda_check.hpp"
#include "scan_math.cuh"

namespace {

__global__ void eval_kernel(const float* x, float* softplus, float* gate, float* log1pf_softplus, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  softplus[i] = corey::cuda::softplus_f32(x[i]);
  gate[i] = corey::cuda::gate_f32(x[i]);
  log1pf_softplus[i] = x[i] <= 20.0f ? log1pf(expf(x[i])) : x[i];
}

struct Evaluated {
  std::vector<float> softplus, gate, log1pf_softplus;
};

Evaluated evaluate(const std::vector<float>& x) {
  const int n = static_cast<int>(x.size());
  const std::size_t bytes = x.size() * sizeof(float);
  float* d = nullptr;
  corey::cuda::check(cudaMalloc(&d, 4 * bytes), "cudaMalloc");
  corey::cuda::check(cudaMemcpy(d, x.data(), bytes, cudaMemcpyHostToDevice), "cudaMemcpy");
  eval_kernel<<<(n + 255) / 256, 256>>>(d, d + n, d + 2 * n, d + 3 * n, n);
  corey::cuda::check(cudaGetLastError(), "eval_kernel launch");
  Evaluated e{std::vector<float>(x.size()), std::vector<float>(x.size()), std::vector<float>(x.size())};
  corey::cuda::check(cudaMemcpy(e.softplus.data(), d + n, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy");
  corey::cuda::check(cudaMemcpy(e.gate.data(), d + 2 * n, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy");
  corey::cuda::check(cudaMemcpy(e.log1pf_softplus.data(), d + 3 * n, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy");
  cudaFree(d);
  return e;
}

// Every k-th float of [lo, hi): a sweep that visits every binade and exponent range of the inputs the scan sees.
std::vector<float> sweep(float lo, float hi, int k) {
  std::vector<float> x;
  for (float v = lo; v < hi;) {
    x.push_back(v);
    for (int i = 0; i < k; ++i) v = std::nextafter(v, hi);
  }
  return x;
}

constexpr double kUlp = 5.960464477539063e-08;  // 2^-24: relative units

// |got − ref| in units of 2^-24 relative; below FLT_MIN, where fp32 spacing stops shrinking, in units of
// 2^-24 · FLT_MIN.
double error_units(float got, double ref) {
  const double scale = std::max(std::fabs(ref), static_cast<double>(std::numeric_limits<float>::min()));
  return std::fabs(got - ref) / (scale * kUlp);
}

}  // namespace

TEST_CASE("softplus_f32 is within 5 x 2^-24 relative of fp64 softplus on every swept input", "[gpu][scan]") {
  const std::vector<float> x = sweep(-40.0f, 30.0f, 101);
  const Evaluated e = evaluate(x);
  double worst = 0.0, worst_log1pf = 0.0;
  float worst_x = 0.0f;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double ref = x[i] <= 20.0f ? std::log1p(std::exp(static_cast<double>(x[i]))) : x[i];
    const double err = error_units(e.softplus[i], ref);
    if (err > worst) {
      worst = err;
      worst_x = x[i];
    }
    worst_log1pf = std::max(worst_log1pf, error_units(e.log1pf_softplus[i], ref));
    if (x[i] > 20.0f) REQUIRE(e.softplus[i] == x[i]);  // the threshold passes x through unchanged
  }
  std::printf("softplus_f32: %zu inputs, max error %.2f x 2^-24 relative at x = %g; CUDA log1pf(expf(x)): %.2f\n",
              x.size(), worst, static_cast<double>(worst_x), worst_log1pf);
  // expf within 2 ulp (CUDA's bound), the fit 0.09, the evaluation's roundings below 2.5.
  REQUIRE(worst <= 5.0);
}

TEST_CASE("softplus_f32 at the ends of its range and on non-finite inputs", "[gpu][scan]") {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x = {-inf, -200.0f, 20.0f, std::nextafter(20.0f, 30.0f), inf,
                                std::numeric_limits<float>::quiet_NaN()};
  const Evaluated e = evaluate(x);
  CHECK(e.softplus[0] == 0.0f);
  CHECK(e.softplus[1] == 0.0f);  // exp(-200) underflows, as log1p(exp(-200)) rounds to in fp32
  CHECK(std::fabs(e.softplus[2] - 20.0f) <= 20.0f * 2.0f * static_cast<float>(kUlp));  // log1p(exp(20)) ≈ 20
  CHECK(e.softplus[3] == x[3]);
  CHECK(e.softplus[4] == inf);
  CHECK(std::isnan(e.softplus[5]));
}

TEST_CASE("gate_f32 is within 5 x 2^-24 relative of fp64 z / (1 + exp(-z)) on every swept input", "[gpu][scan]") {
  const std::vector<float> x = sweep(-80.0f, 80.0f, 101);
  const Evaluated e = evaluate(x);
  double worst = 0.0;
  float worst_x = 0.0f;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double z = x[i];
    const double ref = z / (1.0 + std::exp(-z));
    const double err = error_units(e.gate[i], ref);
    if (err > worst) {
      worst = err;
      worst_x = x[i];
    }
  }
  std::printf("gate_f32: %zu inputs, max error %.2f x 2^-24 relative at z = %g\n", x.size(), worst,
              static_cast<double>(worst_x));
  // expf within 2 ulp enters 1 + exp(-z) damped (≤ 2.5 ulp with its rounding), __fdividef within 2.
  REQUIRE(worst <= 5.0);
}
