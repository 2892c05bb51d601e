// GPU tests of the device-side statistics: every estimator the CUDA backend offers against the CPU StatsOp
// of lib/entropy on the same data (token_hist: odd shapes, padded and interleaved views, dropped tokens,
// non-finite values, the workspace limit), the device-routed path (statistics write Q, the scan reads it;
// token_hist also inside a CUDA graph), the tapped path (the prefill's conv does the first pass), and the
// one-cluster path for small samples (against the grid path, and with the scan as its programmatic dependent).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "catch.hpp"
#include "cuda_backend.hpp"
#include "entropy/chunk_rule.hpp"
#include "entropy/cpu_stats.hpp"
#include "backend_stream.hpp"
#include "cuda_check.hpp"
#include "graph_capture.hpp"
#include "model/prefill_kernels.hpp"
#include "scan_case.hpp"
#include "scan_runner.hpp"
#include "stats_kernel.hpp"

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

// The output bytes of c's scan in `inkernel` mode with a host chunk: what a scan reading a device-chosen Q must
// write.
std::vector<std::uint8_t> scan_bytes(corey::cuda::DeviceScanOp& scan, corey::gpu_test::ScanCase& c,
                                     std::int64_t chunk) {
  corey::scan::ChunkConfig fixed;
  fixed.mode = corey::scan::ChunkMode::inkernel;
  fixed.chunk = chunk;
  c.poison_outputs();
  REQUIRE(scan.run(c.problem, fixed).honoured);
  return c.out_bytes();
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

TEST_CASE("values at and next to every bin edge fall in the CPU's bins", "[gpu][stats]") {
  // The device takes the division of the bin formula only near an edge; values on, just under and just over
  // each edge (a few ulps) must land where the CPU's exact formula puts them, for several ranges and K.
  auto gpu = corey::cuda::make_stats_op(0);
  corey::entropy::CpuStats cpu;
  for (const auto& [lo, hi] : {std::pair{0.0f, 1.0f}, std::pair{-0.37f, 2.91f}, std::pair{-1e-3f, 7e-4f}}) {
    for (int bins : {256, 100, 7}) {
      const double denom = static_cast<float>(static_cast<double>(hi) - static_cast<double>(lo) + 1e-8);
      std::vector<float> v = {lo, hi};
      for (int j = 0; j <= bins; ++j) {
        float edge = static_cast<float>(lo + denom * j / bins);
        for (int step = 0; step < 4; ++step) edge = std::nextafter(edge, -INFINITY);
        for (int step = 0; step < 8; ++step) {
          if (edge >= lo && edge <= hi) v.push_back(edge);
          edge = std::nextafter(edge, INFINITY);
        }
      }
      Tensor x;
      x.host.resize(v.size() * sizeof(float));
      std::memcpy(x.host.data(), v.data(), x.host.size());
      x.dev = corey::cuda::DeviceBuffer(x.host.size());
      x.dev.upload(x.host.data(), x.host.size());
      Statistic s;
      s.bins = bins;
      const auto n = static_cast<std::int64_t>(v.size());
      const double g = gpu->estimate(x.view(true, 1, 1, n, DType::f32), s).value;
      const double c = cpu.estimate(x.view(false, 1, 1, n, DType::f32), s).value;
      CAPTURE(lo, hi, bins, n, g, c);
      REQUIRE(std::abs(g - c) <= 1e-12 * std::max(1.0, std::abs(c)));
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

TEST_CASE("the estimator without a device kernel runs on a host copy; the host-free path refuses it", "[gpu][stats]") {
  auto gpu = corey::cuda::make_stats_op(0);
  corey::entropy::CpuStats cpu;
  const std::int64_t D = 48, L = 300;
  const Tensor x = make_tensor(D * L, DType::bf16, 3, false);
  Statistic s;
  s.estimator = Estimator::proto;
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

namespace {

// A (B, D, L) tensor at arbitrary element strides; every element outside the view is NaN, so a read of the
// padding shows up as a non-finite value (an error).
struct Strided {
  std::vector<std::uint8_t> host;
  corey::cuda::DeviceBuffer dev;
  ActivationView shape;
  ActivationView view(bool device) const {
    ActivationView v = shape;
    v.data = device ? dev.data() : host.data();
    return v;
  }
};

template <typename F>
Strided make_strided(DType t, std::int64_t B, std::int64_t D, std::int64_t L, std::int64_t sd, std::int64_t sb,
                     std::int64_t sl, F value) {
  Strided x;
  x.shape.dtype = t;
  x.shape.batch = B;
  x.shape.dim = D;
  x.shape.seqlen = L;
  x.shape.stride_b = sb;
  x.shape.stride_d = sd;
  x.shape.stride_l = sl;
  const std::int64_t n = (B - 1) * sb + (D - 1) * sd + (L - 1) * sl + 1;
  x.host.resize(static_cast<std::size_t>(n) * corey::dtype_bytes(t));
  for (std::int64_t i = 0; i < n; ++i) corey::store_from_f32(x.host.data(), t, i, std::nanf(""));
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t d = 0; d < D; ++d)
      for (std::int64_t l = 0; l < L; ++l) corey::store_from_f32(x.host.data(), t, b * sb + d * sd + l * sl, value(b, d, l));
  x.dev = corey::cuda::DeviceBuffer(x.host.size());
  x.dev.upload(x.host.data(), x.host.size());
  return x;
}

Strided make_contiguous(DType t, std::int64_t B, std::int64_t D, std::int64_t L, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  return make_strided(t, B, D, L, L, D * L, 1,
                      [&](std::int64_t, std::int64_t, std::int64_t) { return static_cast<float>(normal(rng)); });
}

Statistic token_hist(std::int64_t stride, int bins = 256, Units units = Units::nats) {
  Statistic s;
  s.estimator = Estimator::token_hist;
  s.stride = stride;
  s.bins = bins;
  s.units = units;
  return s;
}

// The device value against the CPU estimator (the reference): both sum in the same order with the same
// operations, so only the device's log (within 1 ulp of glibc's) can move the last bits. The device value
// must also be run-to-run identical.
double require_cpu_match(corey::cuda::DeviceStatsOp& gpu, const Strided& x, const Statistic& s) {
  corey::entropy::CpuStats cpu;
  const double g = gpu.estimate(x.view(true), s).value;
  const double c = cpu.estimate(x.view(false), s).value;
  CAPTURE(corey::to_string(x.shape.dtype), x.shape.batch, x.shape.dim, x.shape.seqlen, x.shape.stride_d, s.stride,
          s.bins, corey::entropy::to_string(s.units), g, c);
  REQUIRE(std::abs(g - c) <= 1e-12 * std::abs(c));
  REQUIRE(gpu.estimate(x.view(true), s).value == g);
  return c;
}

}  // namespace

TEST_CASE("token_hist on the device matches the CPU estimator", "[gpu][stats][token_hist]") {
  auto gpu = corey::cuda::make_stats_op(0);
  struct Shape {
    std::int64_t b, d, l;
  };
  // Ragged L (the last tile of a row is partial at stride 1 and 8), D not a multiple of a warp.
  for (DType t : {DType::f32, DType::f16, DType::bf16}) {
    for (Shape sh : {Shape{2, 64, 1000}, Shape{1, 37, 1001}, Shape{3, 130, 129}}) {
      const Strided x = make_contiguous(t, sh.b, sh.d, sh.l, 11 + static_cast<std::uint64_t>(sh.d));
      for (std::int64_t stride : {1, 8}) REQUIRE(require_cpu_match(*gpu, x, token_hist(stride)) > 0.0);
    }
  }
  const Strided x = make_contiguous(DType::f32, 2, 64, 1000, 7);
  for (Units units : {Units::bits, Units::normalized}) require_cpu_match(*gpu, x, token_hist(8, 256, units));
}

TEST_CASE("token_hist: every tile width, many tiles per block, the largest and smallest K", "[gpu][stats][token_hist]") {
  auto gpu = corey::cuda::make_stats_op(0);
  // K 8192 fills the shared histogram with one token per tile; K 1 and 16 allow 32 tokens per tile.
  const Strided x = make_contiguous(DType::f32, 2, 300, 257, 21);
  for (int bins : {1, 16, 8192})
    for (std::int64_t stride : {1, 8}) require_cpu_match(*gpu, x, token_hist(stride, bins));
  // 80 000 tokens of 16 channels: 32-token tiles, each block loops over many of them.
  const Strided tall = make_contiguous(DType::bf16, 2, 16, 40000, 22);
  require_cpu_match(*gpu, tall, token_hist(1));
  require_cpu_match(*gpu, tall, token_hist(8, 64));
}

TEST_CASE("token_hist reads padded and strided views", "[gpu][stats][token_hist]") {
  auto gpu = corey::cuda::make_stats_op(0);
  std::mt19937_64 rng(31);
  std::student_t_distribution<double> student(3.0);
  const auto draw = [&](std::int64_t, std::int64_t, std::int64_t) { return static_cast<float>(student(rng)); };
  for (DType t : {DType::f32, DType::bf16}) {
    // Channel rows padded to a multiple of 64 tokens (the model's u), batch rows padded further.
    const std::int64_t B = 2, D = 48, L = 300, sd = 320;
    const Strided padded = make_strided(t, B, D, L, sd, D * sd + 40, 1, draw);
    for (std::int64_t stride : {1, 8}) require_cpu_match(*gpu, padded, token_hist(stride));
    // Time steps two elements apart (an interleaved tensor).
    const Strided interleaved = make_strided(t, 1, 40, 200, 400, 16000, 2, draw);
    for (std::int64_t stride : {1, 8}) require_cpu_match(*gpu, interleaved, token_hist(stride));
  }
}

TEST_CASE("token_hist drops tokens with span < 1e-8 and is 0 when none remain", "[gpu][stats][token_hist]") {
  auto gpu = corey::cuda::make_stats_op(0);
  corey::entropy::CpuStats cpu;
  const std::int64_t B = 2, D = 70, L = 515;
  for (DType t : {DType::f32, DType::f16, DType::bf16}) {
    for (std::int64_t stride : {1, 8}) {
      std::mt19937_64 rng(41);
      std::normal_distribution<double> normal(0.0, 1.0);
      // Sampled token i: i % 4 == 0 constant, 1: span 5e-9 (dropped), 2: span 3e-8 in fp32 (kept), 3: random.
      const Strided mixed = make_strided(t, B, D, L, L, D * L, 1, [&](std::int64_t, std::int64_t d, std::int64_t l) {
        const double r = normal(rng);
        if (l % stride != 0) return static_cast<float>(r);
        switch ((l / stride) % 4) {
          case 0: return 0.75f;
          case 1: return d % 2 == 0 ? 0.0f : 5e-9f;
          case 2: return d % 3 == 0 ? 0.0f : 3e-8f;
          default: return static_cast<float>(r);
        }
      });
      REQUIRE(require_cpu_match(*gpu, mixed, token_hist(stride)) > 0.0);
      // Every sampled token constant (the rest of the tensor is not): 0 on both.
      const Strided flat = make_strided(t, B, D, L, L, D * L, 1, [&](std::int64_t b, std::int64_t d, std::int64_t l) {
        return l % stride == 0 ? static_cast<float>(b + l) : static_cast<float>(d);
      });
      REQUIRE(cpu.estimate(flat.view(false), token_hist(stride)).value == 0.0);
      REQUIRE(gpu->estimate(flat.view(true), token_hist(stride)).value == 0.0);
    }
  }
  // One channel: every token's span is 0.
  const Strided one = make_contiguous(DType::f32, 1, 1, 100, 42);
  REQUIRE(gpu->estimate(one.view(true), token_hist(1)).value == 0.0);
}

TEST_CASE("token_hist refuses non-finite sampled values and stays usable", "[gpu][stats][token_hist]") {
  auto gpu = corey::cuda::make_stats_op(0);
  corey::entropy::CpuStats cpu;
  const std::int64_t B = 2, D = 40, L = 100;
  for (float bad : {std::nanf(""), std::numeric_limits<float>::infinity()}) {
    for (std::int64_t t_bad : {16, 3}) {  // sampled at stride 8 / not sampled
      std::mt19937_64 rng(51);
      std::normal_distribution<double> normal(0.0, 1.0);
      const Strided x = make_strided(DType::bf16, B, D, L, L, D * L, 1, [&](std::int64_t b, std::int64_t d, std::int64_t l) {
        return b == 1 && d == 5 && l == t_bad ? bad : static_cast<float>(normal(rng));
      });
      CAPTURE(bad, t_bad);
      if (t_bad % 8 == 0) {
        REQUIRE_THROWS_AS(cpu.estimate(x.view(false), token_hist(8)), corey::Error);
        REQUIRE_THROWS_AS(gpu->estimate(x.view(true), token_hist(8)), corey::Error);
      } else {
        require_cpu_match(*gpu, x, token_hist(8));
      }
      REQUIRE_THROWS_AS(gpu->estimate(x.view(true), token_hist(1)), corey::Error);
    }
  }
  require_cpu_match(*gpu, make_contiguous(DType::f32, 1, 32, 64, 52), token_hist(1));
}

TEST_CASE("token_hist refuses more sampled tokens than its workspace, naming the limit", "[gpu][stats][token_hist]") {
  auto gpu = corey::cuda::make_stats_op(0);
  const std::int64_t limit = std::int64_t{1} << 20;
  corey::cuda::DeviceBuffer zeros(static_cast<std::size_t>(limit + 1) * sizeof(float));
  zeros.fill_bytes(0);
  // One channel, so every token is dropped: 0 at the limit.
  REQUIRE(gpu->estimate(corey::entropy::contiguous_view(zeros.data(), DType::f32, 1, 1, limit), token_hist(1)).value ==
          0.0);
  REQUIRE(gpu->estimate(corey::entropy::contiguous_view(zeros.data(), DType::f32, 1, 1, limit + 1), token_hist(2)).value ==
          0.0);
  bool refused = false;
  try {
    gpu->estimate(corey::entropy::contiguous_view(zeros.data(), DType::f32, 1, 1, limit + 1), token_hist(1));
  } catch (const corey::Error& e) {
    refused = std::string(e.what()).find("1048576") != std::string::npos;
  }
  REQUIRE(refused);
}

TEST_CASE("token_hist picks the CPU's chunk on the host-free path and inside a CUDA graph", "[gpu][stats][token_hist]") {
  struct Stream {
    cudaStream_t s = nullptr;
    ~Stream() { cudaStreamDestroy(s); }
  } stream;
  REQUIRE(cudaStreamCreateWithFlags(&stream.s, cudaStreamNonBlocking) == cudaSuccess);
  auto gpu = corey::cuda::make_stats_op(0, stream.s);
  corey::entropy::CpuStats cpu;
  std::mt19937_64 rng(61);
  std::normal_distribution<double> normal(0.0, 1.0);
  // The model's u: (1, D, L) with channel rows padded to 64 tokens, bf16.
  const Strided u = make_strided(DType::bf16, 1, 96, 1000, 1024, 96 * 1024, 1,
                                 [&](std::int64_t, std::int64_t, std::int64_t) { return static_cast<float>(normal(rng)); });
  REQUIRE(cudaDeviceSynchronize() == cudaSuccess);  // the upload ran on the legacy stream
  const Statistic s = token_hist(8);
  const double h = cpu.estimate(u.view(false), s).value;
  corey::cuda::DeviceBuffer hq(8);
  float* h_dev = static_cast<float*>(hq.data());
  auto* q_dev = reinterpret_cast<std::int32_t*>(static_cast<char*>(hq.data()) + 4);
  for (double h_ref : {h, 2.0 * h, 8.0}) {
    corey::entropy::ChunkRule rule;
    rule.h_ref = h_ref;
    const auto want = cpu.choose_chunk(u.view(false), s, rule);
    CAPTURE(h_ref, want.chunk);
    REQUIRE(gpu->choose_chunk(u.view(true), s, rule).chunk == want.chunk);

    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    REQUIRE(cudaStreamBeginCapture(stream.s, cudaStreamCaptureModeGlobal) == cudaSuccess);
    gpu->choose_chunk_into(u.view(true), s, rule, h_dev, q_dev);
    REQUIRE(cudaStreamEndCapture(stream.s, &graph) == cudaSuccess);
    REQUIRE(cudaGraphInstantiate(&exec, graph, 0) == cudaSuccess);
    for (int replay = 0; replay < 2; ++replay) {
      hq.fill_bytes(0);
      REQUIRE(cudaDeviceSynchronize() == cudaSuccess);
      REQUIRE(cudaGraphLaunch(exec, stream.s) == cudaSuccess);
      REQUIRE(cudaStreamSynchronize(stream.s) == cudaSuccess);
      float got_h = 0.0f;
      std::int32_t got_q = 0;
      hq.download(&got_h, sizeof(got_h));
      hq.download(&got_q, sizeof(got_q), 4);
      REQUIRE(got_q == want.chunk);
      REQUIRE(got_h == Approx(want.entropy.value).epsilon(1e-6));
    }
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
  }
}

TEST_CASE("a statistic whose first pass the conv did (tap) equals the device statistic that reads u and the CPU one",
          "[gpu][stats][tap][sanitize]") {
  // The prefill's producer: u = silu(conv(x)) over D channel rows of stride ld, with a ragged last block in both
  // directions (D % 8 != 0, L % 512 != 0: five blocks along L); heavy-tailed x, so the kurtosis proxy is not
  // clamped to 0. A histogram's tap is its range (then one launch reads u); a proxy's is the conv's power sums
  // (then a fold of them, never reading u).
  const std::int64_t D = 100, L = 2500, ld = corey::cuda::padded_tokens(L);
  const int K = 4;
  const int blocks = corey::cuda::conv_silu_blocks(D, L), parts = corey::cuda::conv_silu_moment_parts(D, L);
  cudaStream_t stream = nullptr;
  REQUIRE(cudaStreamCreate(&stream) == cudaSuccess);
  auto stats = corey::cuda::make_stats_op(0, stream);
  stats->set_cluster_max_samples(0);  // the reference is the grid statistic, whose last block a histogram's tap shares
  corey::entropy::CpuStats cpu;
  std::mt19937_64 rng(17);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::student_t_distribution<float> student(3.0f);
  std::vector<float> w(static_cast<std::size_t>(D * K)), b(static_cast<std::size_t>(D));
  for (float& v : w) v = 0.5f * normal(rng);
  for (float& v : b) v = 0.1f * normal(rng);
  corey::cuda::DeviceBuffer d_w(w.size() * 4), d_b(b.size() * 4), hq(16), range(3 * sizeof(unsigned int)),
      moments(corey::cuda::stats_moment_tap_bytes(parts));
  d_w.upload(w.data(), w.size() * 4);
  d_b.upload(b.data(), b.size() * 4);
  auto* h_out = static_cast<float*>(hq.data());
  auto* q_out = reinterpret_cast<std::int32_t*>(static_cast<char*>(hq.data()) + 4);
  auto* h_ref = reinterpret_cast<float*>(static_cast<char*>(hq.data()) + 8);
  auto* q_ref = reinterpret_cast<std::int32_t*>(static_cast<char*>(hq.data()) + 12);
  const auto tap_for = [&](const Statistic& s) {
    corey::cuda::StatsTap tap = stats->tap_for(s, blocks);
    REQUIRE(tap);
    if (tap.wants_moments()) {
      tap.moments = static_cast<corey::cuda::stats_device::MomentPartial*>(moments.data());
      tap.parts = parts;
      moments.fill_bytes(0xff);  // every partial is written by its conv warp: a stale one would be NaN
    } else {
      tap.range = static_cast<unsigned int*>(range.data());
      range.fill_bytes(0);
    }
    return tap;
  };
  // The device statistic through the tap (H, Q at h_out, q_out) and reading u (h_ref, q_ref).
  const auto both = [&](const ActivationView& dev, const Statistic& s, const corey::entropy::ChunkRule& rule,
                        std::int64_t fallback, const corey::cuda::StatsTap& tap, float (&hq_host)[4]) {
    stats->choose_guarded_chunk_tapped(dev, s, rule, fallback, 2, tap, h_out, q_out);
    stats->choose_guarded_chunk_into(dev, s, rule, fallback, 2, h_ref, q_ref);
    REQUIRE(cudaStreamSynchronize(stream) == cudaSuccess);
    hq.download(hq_host, 16);
  };
  for (DType t : {DType::f32, DType::f16, DType::bf16}) {
    const corey::cuda::IoType io = t == DType::f32 ? corey::cuda::IoType::f32
                                   : t == DType::f16 ? corey::cuda::IoType::f16
                                                     : corey::cuda::IoType::bf16;
    const std::size_t eb = corey::dtype_bytes(t);
    std::vector<std::uint8_t> x(static_cast<std::size_t>(D * ld) * eb);
    std::vector<std::uint8_t> state(static_cast<std::size_t>(D * (K - 1)) * eb);
    for (std::int64_t i = 0; i < D * ld; ++i) corey::store_from_f32(x.data(), t, i, student(rng));
    for (std::int64_t i = 0; i < D * (K - 1); ++i) corey::store_from_f32(state.data(), t, i, normal(rng));
    corey::cuda::DeviceBuffer d_x(x.size()), d_state(state.size()), d_u(x.size()), d_u_plain(x.size());
    d_x.upload(x.data(), x.size());
    d_state.upload(state.data(), state.size());
    d_u.fill_bytes(0);  // the row padding past L is never written
    d_u_plain.fill_bytes(0);
    const auto conv = [&](void* u, const corey::cuda::StatsTap& tap) {
      corey::cuda::launch_conv_silu(d_x.data(), static_cast<const float*>(d_w.data()),
                                    static_cast<const float*>(d_b.data()), d_state.data(), D, L, ld, K, u, nullptr, tap,
                                    io, stream);
    };
    conv(d_u_plain.data(), {});
    std::vector<std::uint8_t> u_plain(x.size()), u(x.size());
    REQUIRE(cudaStreamSynchronize(stream) == cudaSuccess);
    d_u_plain.download(u_plain.data(), u_plain.size());
    ActivationView dev = corey::entropy::contiguous_view(d_u.data(), t, 1, D, L);
    dev.stride_d = ld;
    ActivationView host = corey::entropy::contiguous_view(u.data(), t, 1, D, L);
    host.stride_d = ld;
    for (Estimator e : {Estimator::hist, Estimator::ebits, Estimator::cheap_proxy, Estimator::variance_proxy,
                        Estimator::kurtosis_proxy}) {
      for (std::int64_t stride : {1, 7}) {
        for (std::int64_t fallback : {0, 512}) {
          Statistic s;
          s.estimator = e;
          s.stride = stride;
          s.units = Units::normalized;
          corey::entropy::ChunkRule rule;
          rule.h_ref = 0.75;
          rule.c_max = 2048;
          const corey::cuda::StatsTap tap = tap_for(s);
          conv(d_u.data(), tap);
          float hq_host[4];
          both(dev, s, rule, fallback, tap, hq_host);
          d_u.download(u.data(), u.size());
          REQUIRE(u == u_plain);  // the tap does not change what the conv writes
          const auto want = cpu.choose_chunk(host, s, rule);
          std::int32_t q_tap = 0, q_two = 0;
          std::memcpy(&q_tap, &hq_host[1], 4);
          std::memcpy(&q_two, &hq_host[3], 4);
          const std::int64_t want_q =
              fallback > 0 && corey::entropy::guard_replaces(want.chunk, fallback, 2) ? fallback : want.chunk;
          CAPTURE(corey::entropy::to_string(e), stride, fallback, static_cast<int>(t), hq_host[0], hq_host[2],
                  want.entropy.value);
          REQUIRE(want.entropy.value > 0.0);
          REQUIRE(q_tap == q_two);
          REQUIRE(q_tap == want_q);
          if (tap.wants_moments()) {
            REQUIRE(hq_host[0] == Approx(hq_host[2]).epsilon(1e-6));  // the power sums' order differs
          } else {
            REQUIRE(hq_host[0] == hq_host[2]);  // same counts, same range, same last block: the same bits
          }
          REQUIRE(hq_host[0] == Approx(want.entropy.value).epsilon(1e-6));
        }
      }
    }
  }
  // fp32 with an infinite input and one whose fourth power overflows fp32: the conv threads holding them sum in
  // fp64 (counting the non-finite value), and a proxy equals the statistic that reads u.
  {
    std::vector<float> x(static_cast<std::size_t>(D * ld));
    for (float& v : x) v = student(rng);
    x[static_cast<std::size_t>(3 * ld + 100)] = std::numeric_limits<float>::infinity();
    x[static_cast<std::size_t>(40 * ld + 2000)] = 4e10f;
    std::vector<float> state(static_cast<std::size_t>(D * (K - 1)), 0.0f);
    corey::cuda::DeviceBuffer d_x(x.size() * 4), d_state(state.size() * 4), d_u(x.size() * 4);
    d_x.upload(x.data(), x.size() * 4);
    d_state.upload(state.data(), state.size() * 4);
    d_u.fill_bytes(0);
    ActivationView dev = corey::entropy::contiguous_view(d_u.data(), DType::f32, 1, D, L);
    dev.stride_d = ld;
    for (Estimator e : {Estimator::cheap_proxy, Estimator::variance_proxy, Estimator::kurtosis_proxy}) {
      Statistic s;
      s.estimator = e;
      const corey::cuda::StatsTap tap = tap_for(s);
      corey::cuda::launch_conv_silu(d_x.data(), static_cast<const float*>(d_w.data()),
                                    static_cast<const float*>(d_b.data()), d_state.data(), D, L, ld, K, d_u.data(),
                                    nullptr, tap, corey::cuda::IoType::f32, stream);
      float hq_host[4];
      both(dev, s, corey::entropy::ChunkRule{}, 0, tap, hq_host);
      CAPTURE(corey::entropy::to_string(e), hq_host[0], hq_host[2]);
      REQUIRE(std::isfinite(hq_host[0]));
      REQUIRE(std::memcmp(&hq_host[1], &hq_host[3], 4) == 0);
      REQUIRE(hq_host[0] == Approx(hq_host[2]).epsilon(1e-6));
    }
  }
  for (Estimator e : {Estimator::token_hist, Estimator::proto}) REQUIRE_FALSE(stats->tap_for(Statistic{e}, 10));
  // A histogram needs its second pass over u: its tap is not folded inside a scan's launch.
  Statistic hist;
  const corey::cuda::StatsTap range_tap = tap_for(hist);
  REQUIRE_FALSE(range_tap.wants_moments());
  ActivationView any = corey::entropy::contiguous_view(moments.data(), DType::f32, 1, 1, 1);
  CHECK_THROWS_AS(stats->routed_statistic_tapped(any, hist, corey::entropy::ChunkRule{}, 0, 0, range_tap, h_out, q_out),
                  corey::Error);
  stats.reset();
  cudaStreamDestroy(stream);
}

TEST_CASE("one thread-block cluster computes a small sample like the grid path and the CPU", "[gpu][stats][cluster]") {
  const std::int64_t limit = corey::cuda::stats_cluster_max_samples();
  REQUIRE(limit == corey::cuda::kStatsClusterMaxSamples);  // the H200 of these tests is sm_90
  auto cluster = corey::cuda::make_stats_op(0);
  auto grid = corey::cuda::make_stats_op(0);
  grid->set_cluster_max_samples(0);
  corey::entropy::CpuStats cpu;
  std::mt19937_64 rng(23);
  std::student_t_distribution<double> student(3.0);
  const auto draw = [&](std::int64_t, std::int64_t, std::int64_t) { return static_cast<float>(student(rng)); };
  struct View {
    std::int64_t B, D, L, sd, sb, sl;
  };
  // Padded rows and batch gaps (the padding is NaN: a stray read is an error), an interleaved time axis, exactly
  // the cluster's capacity, one value over it (grid path on both ops), and a single value.
  const View views[] = {{2, 40, 1000, 1024, 2 * 40 * 1024 + 40, 1},
                        {1, 24, 300, 600, 24 * 600, 2},
                        {1, 32, 1024, 1024, 32 * 1024, 1},
                        {1, 32, 1025, 1025, 32 * 1025, 1},
                        {1, 1, 1, 1, 1, 1}};
  std::int64_t on_cluster = 0;
  for (DType t : {DType::f32, DType::bf16, DType::f16}) {
    for (const View& v : views) {
      const Strided x = make_strided(t, v.B, v.D, v.L, v.sd, v.sb, v.sl, draw);
      for (std::int64_t stride : {1, 3, 64}) {
        for (Estimator e : {Estimator::hist, Estimator::ebits, Estimator::cheap_proxy, Estimator::variance_proxy,
                            Estimator::kurtosis_proxy}) {
          for (int bins : {256, 1024, 7}) {
            if (bins != 256 && e != Estimator::hist) continue;
            Statistic s;
            s.estimator = e;
            s.stride = stride;
            s.bins = bins;
            const double c = cpu.estimate(x.view(false), s).value;
            const double g_cluster = cluster->estimate(x.view(true), s).value;
            const double g_grid = grid->estimate(x.view(true), s).value;
            const std::int64_t samples = v.B * v.D * ((v.L + stride - 1) / stride);
            on_cluster += samples <= limit;
            CAPTURE(corey::to_string(t), v.B, v.D, v.L, v.sl, stride, corey::entropy::to_string(e), bins, samples, c,
                    g_cluster, g_grid);
            REQUIRE(std::abs(g_cluster - c) <= 1e-9 * std::max(1.0, std::abs(c)));
            REQUIRE(std::abs(g_grid - c) <= 1e-9 * std::max(1.0, std::abs(c)));
            REQUIRE(std::abs(g_cluster - g_grid) <= 1e-12 * std::max(1.0, std::abs(g_grid)));
            REQUIRE(cluster->estimate(x.view(true), s).value == g_cluster);  // deterministic
          }
        }
      }
    }
  }
  REQUIRE(on_cluster > 0);
}

TEST_CASE("a non-finite value in a small sample is refused like on the grid path", "[gpu][stats][cluster]") {
  auto gpu = corey::cuda::make_stats_op(0);
  const Strided x = make_strided(DType::bf16, 1, 16, 512, 512, 16 * 512, 1, [](std::int64_t, std::int64_t d, std::int64_t l) {
    return d == 5 && l == 64 ? std::numeric_limits<float>::infinity() : static_cast<float>(d + l % 7);
  });
  for (Estimator e : {Estimator::hist, Estimator::cheap_proxy, Estimator::variance_proxy}) {
    Statistic s;
    s.estimator = e;
    for (std::int64_t stride : {1, 8}) {
      s.stride = stride;  // token 64 is sampled at both strides
      std::string message;
      try {
        gpu->estimate(x.view(true), s);
      } catch (const corey::Error& error) {
        message = error.what();
      }
      CAPTURE(corey::entropy::to_string(e), stride, message);
      REQUIRE(message.find("non-finite") != std::string::npos);
    }
    s.stride = 3;  // not sampled
    REQUIRE(std::isfinite(gpu->estimate(x.view(true), s).value));
  }
}

TEST_CASE("a scan launched as the programmatic dependent of a cluster statistic reads the Q it wrote",
          "[gpu][stats][cluster][sanitize]") {
  // The statistic lets its dependents start at entry; the scan stages its first tile, then waits for the
  // statistic before it reads Q. A stale Q left in the slot would show as q_used; the output must be the bits
  // of the same scan launched afterwards with the CPU's chunk.
  auto stats = corey::cuda::make_stats_op(0);
  stats->set_timing(false);  // no event between the two kernels: the scan is a programmatic dependent
  corey::entropy::CpuStats cpu;
  corey::gpu_test::Shape shape;
  shape.dim = 32;
  shape.seqlen = 1024;  // 32768 sampled values at stride 1: the cluster path
  corey::gpu_test::ScanCase c(shape, 41);
  const ActivationView u_dev = corey::entropy::contiguous_view(c.d_u.data(), DType::f32, 1, shape.dim, shape.seqlen);
  const ActivationView u_host = corey::entropy::contiguous_view(c.u.data(), DType::f32, 1, shape.dim, shape.seqlen);
  corey::cuda::ScanRunner runner(0);
  corey::cuda::DeviceBuffer slots(16);  // H (f32), Q (i32), q_used (i32), chunk counter (i32)
  auto* q_dev = reinterpret_cast<std::int32_t*>(static_cast<char*>(slots.data()) + 4);
  auto* q_used = reinterpret_cast<std::int32_t*>(static_cast<char*>(slots.data()) + 8);
  auto* chunks = reinterpret_cast<std::int32_t*>(static_cast<char*>(slots.data()) + 12);
  corey::scan::ChunkConfig routed;
  routed.mode = corey::scan::ChunkMode::inkernel;
  routed.chunk_ptr = q_dev;
  std::vector<corey::cuda::ScanParams> plan = runner.plan(c.problem, routed, 0);
  REQUIRE(plan.size() == 1);
  plan[0].pdl_dependent = true;
  plan[0].q_used = q_used;
  plan[0].chunk_counter = chunks;
  plan[0].tokens_counter = nullptr;
  const std::int64_t blocks = shape.dim / runner.channels_per_block(c.problem);
  auto scan = corey::cuda::make_scan_op(0);
  for (double h_ref : {5.545177444479562, 8.0}) {
    corey::entropy::ChunkRule rule;
    rule.h_ref = h_ref;
    const auto want = cpu.choose_chunk(u_host, Statistic{}, rule);
    const std::vector<std::uint8_t> expected = scan_bytes(*scan, c, want.chunk);

    const std::int32_t stale[4] = {0, 7, 0, 0};
    slots.upload(stale, sizeof(stale));
    c.poison_outputs();
    stats->choose_chunk_into(u_dev, Statistic{}, rule, static_cast<float*>(slots.data()), q_dev);
    corey::cuda::launch_seq_scan(corey::cuda::IoType::f32, plan[0], corey::cuda::backend_stream(0));
    corey::cuda::synchronize();
    std::int32_t got[4];
    slots.download(got, sizeof(got));
    CAPTURE(h_ref, want.chunk, got[1], got[2], got[3]);
    REQUIRE(got[1] == want.chunk);
    REQUIRE(got[2] == want.chunk);
    REQUIRE(got[3] == (shape.seqlen + want.chunk - 1) / want.chunk * blocks);  // every block honoured every chunk
    REQUIRE(c.out_bytes() == expected);
  }
}

TEST_CASE("a routed scan computes its statistic in blocks of its own launch and reports its chunks by that Q",
          "[gpu][stats][routed][sanitize]") {
  // Extra blocks of the launch compute the statistic, write H and Q and report every scan block's chunks by Q.
  // Q must be the CPU estimator's chunk, every block's chunks must be counted by it, and the output and the final
  // state must be the bits of the same scan launched with the CPU's chunk. Each case runs twice eagerly and twice
  // as one captured graph: the statistic blocks' barriers must be left ready for the next launch, replayed or
  // not. Both thread layouts: 16 lanes (B·D < 2560) and 8.
  auto stats = corey::cuda::make_stats_op(0);
  corey::entropy::CpuStats cpu;
  corey::cuda::ScanRunner runner(0);
  auto scan = corey::cuda::make_scan_op(0);
  corey::cuda::DeviceBuffer slots(16);  // H (f32), Q (i32), q_used (i32), chunk counter (i32)
  auto* h_dev = static_cast<float*>(slots.data());
  auto* q_dev = reinterpret_cast<std::int32_t*>(static_cast<char*>(slots.data()) + 4);
  corey::scan::ChunkConfig routed;
  routed.mode = corey::scan::ChunkMode::inkernel;
  routed.chunk_ptr = q_dev;
  struct Case {
    std::int64_t batch, dim, seqlen;
    std::vector<std::int64_t> strides;  // sampled values at most 32768, what the launch computes beside the scan
  };
  const Case cases[] = {{1, 32, 1000, {1, 7}}, {2, 1280, 130, {16}}};
  cudaStream_t capture_stream = nullptr;  // blocking: ordered after the slots' resets on the legacy stream
  REQUIRE(cudaStreamCreate(&capture_stream) == cudaSuccess);
  for (const Case& k : cases) {
    for (DType t : {DType::f32, DType::bf16}) {
      corey::gpu_test::Shape shape;
      shape.batch = k.batch;
      shape.dim = k.dim;
      shape.seqlen = k.seqlen;
      shape.dtype = t;
      corey::gpu_test::ScanCase c(shape, 47);
      const ActivationView u_dev = corey::entropy::contiguous_view(c.d_u.data(), t, k.batch, k.dim, k.seqlen);
      const ActivationView u_host = corey::entropy::contiguous_view(c.u.data(), t, k.batch, k.dim, k.seqlen);
      std::vector<corey::cuda::ScanParams> plan = runner.plan(c.problem, routed, 0);
      REQUIRE(plan.size() == 1);
      REQUIRE(plan[0].lanes == (k.batch * k.dim < 2560 ? 16 : 8));
      plan[0].q_used = q_dev + 1;
      plan[0].chunk_counter = q_dev + 2;
      plan[0].tokens_counter = nullptr;
      const std::int64_t blocks = k.batch * k.dim / runner.channels_per_block(c.problem);
      for (Estimator e : {Estimator::hist, Estimator::ebits, Estimator::cheap_proxy, Estimator::variance_proxy,
                          Estimator::kurtosis_proxy}) {
        for (const std::int64_t stride : k.strides) {
          for (int bins : {256, 7}) {
            if (bins != 256 && e != Estimator::hist) continue;
            Statistic s;
            s.estimator = e;
            s.stride = stride;
            s.bins = bins;
            corey::entropy::ChunkRule rule;
            const auto want = cpu.choose_chunk(u_host, s, rule);
            const std::vector<std::uint8_t> expected = scan_bytes(*scan, c, want.chunk);
            const std::vector<float> expected_h = c.hT();
            const corey::cuda::RoutedStatistic st = stats->routed_statistic(u_dev, s, rule, h_dev, q_dev);
            const cudaGraphExec_t graph = corey::cuda::capture_graph(capture_stream, "routed scan", [&] {
              corey::cuda::launch_seq_scan_routed(corey::cuda::io_type(t), plan[0], st, capture_stream);
            });
            for (int run = 0; run < 4; ++run) {
              const float stale_h = -1.0f;
              const std::int32_t stale[3] = {7, 0, 0};
              slots.upload(&stale_h, sizeof(stale_h));
              corey::cuda::check(cudaMemcpy(q_dev, stale, sizeof(stale), cudaMemcpyHostToDevice), "cudaMemcpy");
              c.poison_outputs();
              if (run < 2) {
                corey::cuda::launch_seq_scan_routed(corey::cuda::io_type(t), plan[0], st,
                                                    corey::cuda::backend_stream(0));
                corey::cuda::synchronize();
              } else {
                REQUIRE(cudaGraphLaunch(graph, capture_stream) == cudaSuccess);
                REQUIRE(cudaStreamSynchronize(capture_stream) == cudaSuccess);
              }
              float h_got = 0.0f;
              std::int32_t got[3];
              slots.download(&h_got, sizeof(h_got));
              corey::cuda::check(cudaMemcpy(got, q_dev, sizeof(got), cudaMemcpyDeviceToHost), "cudaMemcpy");
              CAPTURE(k.batch, k.dim, corey::to_string(t), corey::entropy::to_string(e), stride, bins, run, want.chunk,
                      want.entropy.value, h_got, got[0], got[1], got[2]);
              REQUIRE(std::abs(h_got - want.entropy.value) <= 1e-5 * std::max(1.0, std::abs(want.entropy.value)));
              REQUIRE(got[0] == want.chunk);
              REQUIRE(got[1] == want.chunk);
              REQUIRE(got[2] == (k.seqlen + want.chunk - 1) / want.chunk * blocks);  // every block, every chunk
              REQUIRE(c.out_bytes() == expected);
              REQUIRE(c.hT() == expected_h);
            }
            cudaGraphExecDestroy(graph);
          }
        }
      }
    }
  }
  cudaStreamDestroy(capture_stream);
}

TEST_CASE("a routed scan refuses what it cannot compute in its launch", "[gpu][stats][routed]") {
  auto stats = corey::cuda::make_stats_op(0);
  corey::cuda::ScanRunner runner(0);
  corey::gpu_test::Shape shape;
  shape.dim = 32;
  shape.seqlen = 1025;  // 32800 values at stride 1: over the block's limit
  corey::gpu_test::ScanCase c(shape, 53);
  corey::cuda::DeviceBuffer slots(8);
  auto* h_dev = static_cast<float*>(slots.data());
  auto* q_dev = reinterpret_cast<std::int32_t*>(static_cast<char*>(slots.data()) + 4);
  const ActivationView u_dev = corey::entropy::contiguous_view(c.d_u.data(), DType::f32, 1, shape.dim, shape.seqlen);
  const auto usage_error = [](auto&& f) {
    try {
      f();
    } catch (const corey::Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  Statistic s;
  const corey::entropy::ChunkRule rule;
  std::string message = usage_error([&] { stats->routed_statistic(u_dev, s, rule, h_dev, q_dev); });
  CAPTURE(message);
  REQUIRE(message.find("32800 sampled values") != std::string::npos);
  s.estimator = Estimator::token_hist;
  s.stride = 8;
  message = usage_error([&] { stats->routed_statistic(u_dev, s, rule, h_dev, q_dev); });
  REQUIRE(message.find("token_hist") != std::string::npos);
  s.estimator = Estimator::hist;
  const corey::cuda::RoutedStatistic st = stats->routed_statistic(u_dev, s, rule, h_dev, q_dev);
  corey::scan::ChunkConfig fixed;
  fixed.mode = corey::scan::ChunkMode::inkernel;
  fixed.chunk = 64;  // a host Q, not the one the statistic writes
  const auto plan = runner.plan(c.problem, fixed, 0);
  message = usage_error([&] {
    corey::cuda::launch_seq_scan_routed(corey::cuda::IoType::f32, plan[0], st, corey::cuda::backend_stream(0));
  });
  REQUIRE(message.find("reads the Q its statistic writes") != std::string::npos);
}
