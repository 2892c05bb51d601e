// GPU tests of the device-side statistics: every estimator the CUDA backend offers against the CPU StatsOp
// of lib/entropy on the same data, and the device-routed path (statistics write Q, the scan reads it).
#include <cmath>
#include <random>
#include <vector>

#include "catch.hpp"
#include "cuda_backend.hpp"
#include "entropy/cpu_stats.hpp"
#include "scan_case.hpp"

using corey::DType;
using corey::entropy::ActivationView;
using corey::entropy::Estimator;
using corey::entropy::Statistic;
using corey::entropy::Units;

namespace {

struct Tensor {
  std::vector<std::uint8_t> host;
  corey::cuda::DeviceBuffer dev;
  ActivationView view(bool device, std::int64_t b, std::int64_t d, std::int64_t l, DType t) const {
    return corey::entropy::contiguous_view(device ? dev.data() : host.data(), t, b, d, l);
  }
};

Tensor make_tensor(std::int64_t n, DType t, std::uint64_t seed, bool heavy_tail) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::student_t_distribution<double> student(3.0);
  Tensor x;
  x.host.resize(static_cast<std::size_t>(n) * corey::dtype_bytes(t));
  for (std::int64_t i = 0; i < n; ++i)
    corey::store_from_f32(x.host.data(), t, i, static_cast<float>(heavy_tail ? student(rng) : normal(rng)));
  x.dev = corey::cuda::DeviceBuffer(x.host.size());
  x.dev.upload(x.host.data(), x.host.size());
  return x;
}

}  // namespace

TEST_CASE("device statistics match the CPU StatsOp", "[gpu][stats]") {
  auto gpu = corey::cuda::make_stats_op(0);
  corey::entropy::CpuStats cpu;
  const std::int64_t B = 2, D = 64, L = 1000;
  for (DType t : {DType::f32, DType::bf16}) {
    for (bool heavy : {false, true}) {
      const Tensor x = make_tensor(B * D * L, t, 5 + heavy, heavy);
      for (Estimator e : {Estimator::hist, Estimator::ebits, Estimator::cheap_proxy, Estimator::variance_proxy,
                          Estimator::kurtosis_proxy}) {
        for (std::int64_t stride : {1, 8}) {
          for (Units units : {Units::nats, Units::bits, Units::normalized}) {
            Statistic s;
            s.estimator = e;
            s.stride = stride;
            s.units = units;
            s.bins = e == Estimator::hist ? 256 : 128;
            const double g = gpu->estimate(x.view(true, B, D, L, t), s).value;
            const double c = cpu.estimate(x.view(false, B, D, L, t), s).value;
            CAPTURE(corey::entropy::to_string(e), stride, corey::entropy::to_string(units), heavy, g, c);
            // Same bins (identical fp32 index arithmetic) and counts; sums differ only in summation order.
            REQUIRE(std::abs(g - c) <= 1e-9 * std::max(1.0, std::abs(c)));
          }
        }
      }
    }
  }
}

TEST_CASE("the chunk rule on the device picks the CPU's chunk, and the scan reads it", "[gpu][stats][sanitize]") {
  auto stats = corey::cuda::make_stats_op(0);
  corey::entropy::CpuStats cpu;
  corey::gpu_test::Shape shape;
  shape.dim = 32;
  shape.seqlen = 2048;
  corey::gpu_test::ScanCase c(shape, 99);
  const ActivationView u_dev = corey::entropy::contiguous_view(c.d_u.data(), DType::f32, 1, shape.dim, shape.seqlen);
  const ActivationView u_host = corey::entropy::contiguous_view(c.u.data(), DType::f32, 1, shape.dim, shape.seqlen);
  Statistic s;
  for (double h_ref : {5.545177444479562, 8.0}) {
    for (auto rounding : {corey::entropy::Rounding::round, corey::entropy::Rounding::floor}) {
      corey::entropy::ChunkRule rule;
      rule.h_ref = h_ref;
      rule.rounding = rounding;
      const auto want = cpu.choose_chunk(u_host, s, rule);
      const auto got = stats->choose_chunk(u_dev, s, rule);
      REQUIRE(got.chunk == want.chunk);

      corey::cuda::DeviceBuffer hq(8);
      stats->choose_chunk_into(u_dev, s, rule, static_cast<float*>(hq.data()),
                               reinterpret_cast<std::int32_t*>(static_cast<char*>(hq.data()) + 4));
      auto scan = corey::cuda::make_scan_op(0);
      corey::scan::ChunkConfig k;
      k.mode = corey::scan::ChunkMode::inkernel;
      k.chunk_ptr = reinterpret_cast<const std::int32_t*>(static_cast<char*>(hq.data()) + 4);
      const corey::scan::ChunkReport r = scan->run(c.problem, k);
      REQUIRE(r.q_effective == want.chunk);
      REQUIRE(r.honoured);
      float h = 0.0f;
      hq.download(&h, sizeof(h));
      REQUIRE(h == Approx(want.entropy.value).epsilon(1e-6));
    }
  }
}

TEST_CASE("estimators without a device kernel run on a host copy; the host-free path refuses them",
          "[gpu][stats]") {
  auto gpu = corey::cuda::make_stats_op(0);
  corey::entropy::CpuStats cpu;
  const std::int64_t D = 48, L = 300;
  const Tensor x = make_tensor(D * L, DType::bf16, 3, false);
  for (Estimator e : {Estimator::proto, Estimator::token_hist}) {
    Statistic s;
    s.estimator = e;
    CAPTURE(corey::entropy::to_string(e));
    // The copy is the device bytes, so the CPU estimator must give exactly its own value on the host tensor.
    REQUIRE(gpu->estimate(x.view(true, 1, D, L, DType::bf16), s).value ==
            cpu.estimate(x.view(false, 1, D, L, DType::bf16), s).value);
    corey::entropy::ChunkRule rule;
    REQUIRE(gpu->choose_chunk(x.view(true, 1, D, L, DType::bf16), s, rule).chunk ==
            cpu.choose_chunk(x.view(false, 1, D, L, DType::bf16), s, rule).chunk);
    corey::cuda::DeviceBuffer hq(8);
    REQUIRE_THROWS_AS(gpu->choose_chunk_into(x.view(true, 1, D, L, DType::bf16), s, rule, static_cast<float*>(hq.data()),
                                             reinterpret_cast<std::int32_t*>(static_cast<char*>(hq.data()) + 4)),
                      corey::Error);
  }
}
