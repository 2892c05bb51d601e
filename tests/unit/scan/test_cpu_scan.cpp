#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "catch.hpp"
#include "core/error.hpp"
#include "scan/cpu_scan.hpp"
#include "scan/oracle_scan.hpp"

using namespace corey;
using namespace corey::scan;

namespace {

// A small deterministic generator so the inputs do not depend on the standard library's distributions.
struct Lcg {
  std::uint64_t state;
  double uniform() {  // [0, 1)
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) * 0x1.0p-53;
  }
  double symmetric() { return 2.0 * uniform() - 1.0; }
};

// Unit-scale Mamba-like inputs (KERNELS.md §8): u, z, B, C in [-1, 1); delta_bias and dt so that
// δ = softplus(dt + bias) lies in about [0.001, 0.1]; A_log = ln(1..N) (S4D-real init).
struct Problem {
  std::int64_t batch, dim, seqlen, dstate = 16;
  std::vector<float> u, dt, z, B, C, A_log, D_skip, bias, out, hT, h0;

  Problem(std::int64_t b, std::int64_t d, std::int64_t l, std::uint64_t seed) : batch(b), dim(d), seqlen(l) {
    Lcg rng{seed};
    const auto n_bdl = static_cast<std::size_t>(b * d * l);
    const auto n_bnl = static_cast<std::size_t>(b * dstate * l);
    for (std::size_t i = 0; i < n_bdl; ++i) u.push_back(static_cast<float>(rng.symmetric()));
    for (std::size_t i = 0; i < n_bdl; ++i) dt.push_back(static_cast<float>(0.5 * rng.symmetric()));
    for (std::size_t i = 0; i < n_bdl; ++i) z.push_back(static_cast<float>(2.0 * rng.symmetric()));
    for (std::size_t i = 0; i < n_bnl; ++i) B.push_back(static_cast<float>(rng.symmetric()));
    for (std::size_t i = 0; i < n_bnl; ++i) C.push_back(static_cast<float>(rng.symmetric()));
    for (std::int64_t i = 0; i < d; ++i) {
      for (std::int64_t n = 0; n < dstate; ++n) A_log.push_back(static_cast<float>(std::log(n + 1.0)));
      D_skip.push_back(static_cast<float>(rng.symmetric()));
      // softplus^-1 of a δ log-uniform in [0.001, 0.1]
      const double delta = std::exp(std::log(0.001) + rng.uniform() * (std::log(0.1) - std::log(0.001)));
      bias.push_back(static_cast<float>(delta + std::log(-std::expm1(-delta))));
    }
    for (std::int64_t i = 0; i < b * d * dstate; ++i) h0.push_back(static_cast<float>(0.1 * rng.symmetric()));
  }

  ScanProblem view(bool with_h0 = false) {
    out.assign(u.size(), 0.0f);
    hT.assign(static_cast<std::size_t>(batch * dim * dstate), 0.0f);
    ScanProblem p;
    p.batch = batch;
    p.dim = dim;
    p.seqlen = seqlen;
    p.dstate = dstate;
    p.u = u.data();
    p.delta = dt.data();
    p.z = z.data();
    p.u_stride = p.delta_stride = p.z_stride = p.out_stride = contiguous_bdl(dim, seqlen);
    p.B = B.data();
    p.C = C.data();
    p.B_stride = p.C_stride = contiguous_bgnl(1, dstate, seqlen);
    p.A = A_log.data();
    p.D_skip = D_skip.data();
    p.delta_bias = bias.data();
    p.h0 = with_h0 ? h0.data() : nullptr;
    p.out = out.data();
    p.hT = hT.data();
    return p;
  }
};

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<double>& b) {
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
  return worst;
}

}  // namespace

TEST_CASE("fp32 CPU scan matches the fp64 oracle within 1e-6 up to L = 8192", "[scan]") {
  CpuScan scan(2);
  for (std::int64_t L : {1, 100, 8192}) {
    Problem prob(1, 3, L, 11 + L);
    for (bool with_h0 : {false, true}) {
      ScanProblem p = prob.view(with_h0);
      const ChunkReport report = scan.run(p, {ChunkMode::single, 0});
      CHECK(report.honoured);
      const OracleResult oracle = oracle_scan(p);
      double max_out = 0.0;
      for (double v : oracle.out) max_out = std::max(max_out, std::abs(v));
      CHECK(max_out > 0.1);  // unit scale, not trivially zero
      CHECK(max_out < 4.0);
      CHECK(max_abs_diff(prob.out, oracle.out) <= 1e-6);
      CHECK(max_abs_diff(prob.hT, oracle.hT) <= 1e-6);
    }
  }
}

TEST_CASE("inkernel and launch chunking are bitwise invisible", "[scan]") {
  CpuScan scan(2);
  const std::int64_t L = 8192;
  Problem prob(2, 2, L, 5);
  ScanProblem p = prob.view(true);
  scan.run(p, {ChunkMode::single, 0});
  const std::vector<float> ref_out = prob.out;
  const std::vector<float> ref_h = prob.hT;
  for (ChunkMode mode : {ChunkMode::inkernel, ChunkMode::launch}) {
    for (std::int64_t q : {std::int64_t{1}, std::int64_t{7}, std::int64_t{32}, std::int64_t{64}, std::int64_t{256},
                           std::int64_t{1000}, L}) {
      CAPTURE(to_string(mode), q);
      ScanProblem pc = prob.view(true);
      std::vector<float> checkpoints(static_cast<std::size_t>(2 * 2 * chunk_count(L, q) * 16));
      pc.checkpoints = checkpoints.data();
      const ChunkReport report = scan.run(pc, {mode, q});
      CHECK(report.honoured);
      CHECK(report.chunks_executed == chunk_count(L, q));
      CHECK(report.tokens == L);
      CHECK(report.bitwise_chunk_invariant);
      CHECK(same_bits(prob.out, ref_out));
      CHECK(same_bits(prob.hT, ref_h));
      // The last checkpoint of each row is the final state.
      const std::int64_t chunks = chunk_count(L, q);
      for (std::int64_t r = 0; r < 4; ++r)
        CHECK(std::memcmp(&checkpoints[static_cast<std::size_t>((r * chunks + chunks - 1) * 16)],
                          &ref_h[static_cast<std::size_t>(r * 16)], 16 * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("the chunk size may come through a pointer", "[scan]") {
  CpuScan scan(2);
  Problem prob(1, 2, 300, 9);
  ScanProblem p = prob.view();
  const std::int32_t q = 64;
  ChunkConfig config{ChunkMode::inkernel, 0, &q};
  const ChunkReport report = scan.run(p, config);
  CHECK(report.q_effective == 64);
  CHECK(report.chunks_executed == 5);
  CHECK(report.honoured);
}

TEST_CASE("reset mode differs from the exact scan and equals independent per-chunk scans", "[scan]") {
  CpuScan scan(2);
  const std::int64_t L = 1000;
  const std::int64_t Q = 128;
  Problem prob(1, 4, L, 21);
  ScanProblem p = prob.view();
  scan.run(p, {ChunkMode::single, 0});
  const std::vector<float> exact = prob.out;

  ScanProblem pr = prob.view();
  const ChunkReport report = scan.run(pr, {ChunkMode::reset, Q});
  CHECK_FALSE(report.recurrence_preserving);
  CHECK_FALSE(report.bitwise_chunk_invariant);
  CHECK_FALSE(same_bits(prob.out, exact));
  const std::vector<float> reset_out = prob.out;
  const std::vector<float> reset_h = prob.hT;

  // Independent scans of each slice, each from a zero state, written into one buffer.
  std::vector<float> pieces(exact.size());
  std::vector<float> last_h(static_cast<std::size_t>(4 * 16));
  for (std::int64_t t0 = 0; t0 < L; t0 += Q) {
    const std::int64_t len = std::min(Q, L - t0);
    ScanProblem slice = prob.view();
    slice.seqlen = len;
    slice.u = prob.u.data() + t0;
    slice.delta = prob.dt.data() + t0;
    slice.z = prob.z.data() + t0;
    slice.B = prob.B.data() + t0;
    slice.C = prob.C.data() + t0;
    slice.out = pieces.data() + t0;
    slice.hT = last_h.data();
    scan.run(slice, {ChunkMode::single, 0});
  }
  CHECK(same_bits(reset_out, pieces));
  CHECK(same_bits(reset_h, last_h));
}

TEST_CASE("segmented mode matches the exact scan within 1e-6", "[scan]") {
  CpuScan scan(2);
  const std::int64_t L = 4096;
  Problem prob(1, 3, L, 33);
  ScanProblem p = prob.view(true);
  scan.run(p, {ChunkMode::single, 0});
  const std::vector<float> exact = prob.out;
  const std::vector<float> exact_h = prob.hT;
  const OracleResult oracle = oracle_scan(p);
  for (int segments : {0, 2, 5, 8}) {
    CAPTURE(segments);
    ScanProblem ps = prob.view(true);
    ChunkConfig config{ChunkMode::segmented, 0};
    config.segments = segments;
    const ChunkReport report = scan.run(ps, config);
    CHECK(report.honoured);
    CHECK(report.recurrence_preserving);
    if (segments > 0) CHECK(report.chunks_executed == segments);
    double worst = 0.0, worst_h = 0.0;
    for (std::size_t i = 0; i < exact.size(); ++i) worst = std::max(worst, double(std::abs(prob.out[i] - exact[i])));
    for (std::size_t i = 0; i < exact_h.size(); ++i)
      worst_h = std::max(worst_h, double(std::abs(prob.hT[i] - exact_h[i])));
    CHECK(worst <= 1e-6);
    CHECK(worst_h <= 1e-6);
    CHECK(max_abs_diff(prob.out, oracle.out) <= 1e-6);
  }
  ScanProblem pq = prob.view(true);
  const ChunkReport by_length = scan.run(pq, {ChunkMode::segmented, 1000});
  CHECK(by_length.chunks_executed == 5);
  CHECK(by_length.q_effective == 1000);
}

TEST_CASE("half-precision I/O keeps chunk invariance and upstream's tolerances", "[scan]") {
  CpuScan scan(2);
  const std::int64_t L = 512;
  Problem prob(1, 2, L, 44);
  for (DType dtype : {DType::f16, DType::bf16}) {
    CAPTURE(to_string(dtype));
    auto narrow = [&](const std::vector<float>& v) {
      std::vector<std::uint16_t> r(v.size());
      for (std::size_t i = 0; i < v.size(); ++i) r[i] = dtype == DType::f16 ? fp32_to_fp16(v[i]) : fp32_to_bf16(v[i]);
      return r;
    };
    auto u = narrow(prob.u), dt = narrow(prob.dt), z = narrow(prob.z), B = narrow(prob.B), C = narrow(prob.C);
    ScanProblem p = prob.view();
    p.io_dtype = dtype;
    p.u = u.data();
    p.delta = dt.data();
    p.z = z.data();
    p.B = B.data();
    p.C = C.data();
    std::vector<std::uint16_t> out_single(u.size()), out_chunked(u.size());
    p.out = out_single.data();
    scan.run(p, {ChunkMode::single, 0});
    p.out = out_chunked.data();
    scan.run(p, {ChunkMode::launch, 7});
    CHECK(out_single == out_chunked);
    const OracleResult oracle = oracle_scan(p);
    const double rtol = dtype == DType::f16 ? 3e-3 : 3e-2;
    const double atol = dtype == DType::f16 ? 5e-3 : 5e-2;
    for (std::size_t i = 0; i < u.size(); ++i) {
      const double got = dtype == DType::f16 ? fp16_to_fp32(out_single[i]) : bf16_to_fp32(out_single[i]);
      REQUIRE(std::abs(got - oracle.out[i]) <= atol + rtol * std::abs(oracle.out[i]));
    }
  }
}

TEST_CASE("bad problems and chunk sizes are rejected with a usage error", "[scan]") {
  CpuScan scan(1);
  Problem prob(1, 2, 16, 1);
  ScanProblem p = prob.view();
  CHECK_THROWS_AS(scan.run(p, {ChunkMode::inkernel, 0}), Error);
  CHECK_FALSE(scan.unsupported_reason(p, {ChunkMode::launch, 0}).empty());
  p.groups = 3;
  CHECK_THROWS_AS(scan.run(p, {ChunkMode::single, 0}), Error);
  CHECK(chunk_mode_from_string("launch") == ChunkMode::launch);
  CHECK_THROWS_AS(chunk_mode_from_string("tiles"), Error);
}
