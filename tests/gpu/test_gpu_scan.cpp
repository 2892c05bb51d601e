// GPU tests of the CUDA `seq` scan: accuracy against the fp64 oracle of lib/scan (with and without z and
// softplus), bitwise chunk invariance across modes and chunk sizes, the chunk report, `reset` differing, strided
// inputs, device-chosen Q, and the programmatic-dependent-launch chaining of `launch` chunks.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "catch.hpp"
#include "cuda_backend.hpp"
#include "scan/oracle_scan.hpp"
#include "scan_case.hpp"
#include "scan_runner.hpp"

using corey::DType;
using corey::gpu_test::ScanCase;
using corey::gpu_test::Shape;
using corey::scan::ChunkConfig;
using corey::scan::ChunkMode;
using corey::scan::ChunkReport;

namespace {

struct Errors {
  double out = 0.0;       // max |gpu − oracle|
  double out_rel = 0.0;   // max |gpu − oracle| / (|oracle| + floor)
  double state = 0.0;
};

Errors compare_with_oracle(const ScanCase& c, double rel_floor) {
  const corey::scan::OracleResult ref = corey::scan::oracle_scan(c.host_problem);
  const std::vector<float> out = c.out_f32();
  const std::vector<float> h = c.hT();
  Errors e;
  for (std::size_t i = 0; i < out.size(); ++i) {
    REQUIRE(std::isfinite(out[i]));
    const double err = std::abs(static_cast<double>(out[i]) - ref.out[i]);
    e.out = std::max(e.out, err);
    e.out_rel = std::max(e.out_rel, err / (std::abs(ref.out[i]) + rel_floor));
  }
  for (std::size_t i = 0; i < h.size(); ++i) e.state = std::max(e.state, std::abs(static_cast<double>(h[i]) - ref.hT[i]));
  return e;
}

void require_honoured(const ChunkReport& r, std::int64_t seqlen, std::int64_t q) {
  CAPTURE(r.to_json().dump());
  REQUIRE(r.q_effective == q);
  REQUIRE(r.chunks_expected == corey::scan::chunk_count(seqlen, q));
  REQUIRE(r.chunks_executed == r.chunks_expected);
  REQUIRE(r.tokens == seqlen);
  REQUIRE(r.honoured);
}

ChunkConfig cfg(ChunkMode mode, std::int64_t q) {
  ChunkConfig c;
  c.mode = mode;
  c.chunk = q;
  return c;
}

}  // namespace

TEST_CASE("fp32 scan matches the fp64 oracle within 1e-6", "[gpu][scan][sanitize]") {
  auto op = corey::cuda::make_scan_op(0);
  for (bool const_bc : {false, true}) {
    Shape s;
    s.batch = 2;
    s.dim = 16;
    s.seqlen = 1000;  // ragged against the 64-token tile
    s.groups = 2;
    s.const_bc = const_bc;
    ScanCase c(s, 11 + const_bc);
    c.poison_outputs();
    const ChunkReport r = op->run(c.problem, cfg(ChunkMode::inkernel, 96));
    require_honoured(r, s.seqlen, 96);
    const Errors e = compare_with_oracle(c, 1e-3);
    CAPTURE(const_bc, e.out, e.state);
    REQUIRE(e.out <= 1e-6);
    REQUIRE(e.state <= 1e-6);
  }
}

// The kernel computes softplus and the gate for every element and selects: without them the selected value must
// be delta itself and a gate of exactly 1, in both thread layouts (16 lanes below B·D = 2560, 8 lanes above).
TEST_CASE("fp32 scan without z or softplus matches the fp64 oracle", "[gpu][scan]") {
  auto op = corey::cuda::make_scan_op(0);
  for (const std::int64_t dim : {16, 1280}) {
    for (const auto& [gate, softplus] : {std::pair{false, true}, std::pair{true, false}, std::pair{false, false}}) {
      Shape s;
      s.batch = 2;
      s.dim = dim;
      s.seqlen = dim == 16 ? 1000 : 130;
      s.gate = gate;
      s.softplus = softplus;
      ScanCase c(s, 41);
      c.poison_outputs();
      op->run(c.problem, cfg(ChunkMode::inkernel, 96));
      // Without the gate the output is y itself: the rounding of its 16 products stays (the gated tests scale it
      // by |z·σ(z)|, 0.5 on average over z ∈ [-2, 2]), about 1e-6 where small δ lets the states grow. A wrong
      // gate or δ would be off by far more.
      const Errors e = compare_with_oracle(c, 1e-3);
      CAPTURE(dim, gate, softplus, e.out, e.state);
      REQUIRE(e.out <= (gate ? 1e-6 : 2e-6));
      REQUIRE(e.state <= 1e-6);
    }
  }
}

TEST_CASE("fp16 and bf16 I/O stay within one output rounding of the oracle", "[gpu][scan]") {
  auto op = corey::cuda::make_scan_op(0);
  for (DType t : {DType::f16, DType::bf16}) {
    Shape s;
    s.dim = 32;
    s.seqlen = 777;
    s.dtype = t;
    ScanCase c(s, 21);
    c.poison_outputs();
    op->run(c.problem, cfg(ChunkMode::single, 0));
    // Inputs are the same rounded values for both sides; the output is rounded once to nearest (half an ulp:
    // 2^-11 relative for fp16, 2^-8 for bf16), plus the fp32 arithmetic (≈ 1e-6 absolute).
    const double half_ulp = t == DType::f16 ? std::ldexp(1.0, -11) : std::ldexp(1.0, -8);
    const corey::scan::OracleResult ref = corey::scan::oracle_scan(c.host_problem);
    const std::vector<float> out = c.out_f32();
    for (std::size_t i = 0; i < out.size(); ++i) {
      CAPTURE(i, out[i], ref.out[i]);
      REQUIRE(std::abs(out[i] - ref.out[i]) <= half_ulp * std::abs(ref.out[i]) + 2e-6);
    }
    const std::vector<float> h = c.hT();
    for (std::size_t i = 0; i < h.size(); ++i) REQUIRE(std::abs(h[i] - ref.hT[i]) <= 1e-6);
  }
}

TEST_CASE("outputs and final states are bitwise equal across chunk sizes and modes", "[gpu][scan]") {
  auto op = corey::cuda::make_scan_op(0);
  for (DType t : {DType::f32, DType::bf16}) {
    Shape s;
    s.dim = 32;
    s.seqlen = 4133;  // a ragged tail for every Q below
    s.dtype = t;
    ScanCase c(s, 31);
    op->run(c.problem, cfg(ChunkMode::single, 0));
    const std::vector<std::uint8_t> ref_out = c.out_bytes();
    const std::vector<float> ref_h = c.hT();

    std::vector<std::int64_t> qs = {100, 1000, 8192};  // not multiples of the sub-block; larger than L
    for (std::int64_t q = 32; q <= 4096; q *= 2) qs.push_back(q);
    for (ChunkMode mode : {ChunkMode::inkernel, ChunkMode::launch}) {
      for (bool graph : {false, true}) {
        if (graph && mode != ChunkMode::launch) continue;
        op->set_launch_graph(graph);
        std::vector<std::int64_t> mode_qs = qs;
        // Several chunk ends inside one 64-token tile (one launch per token would be too slow in `launch`).
        if (mode == ChunkMode::inkernel) mode_qs.insert(mode_qs.end(), {1, 7, 63});
        for (std::int64_t q : mode_qs) {
          CAPTURE(corey::to_string(t), corey::scan::to_string(mode), graph, q);
          c.poison_outputs();
          const ChunkReport r = op->run(c.problem, cfg(mode, q));
          require_honoured(r, s.seqlen, q);
          REQUIRE(r.bitwise_chunk_invariant);
          REQUIRE(c.out_bytes() == ref_out);
          const std::vector<float> h = c.hT();
          REQUIRE(std::memcmp(h.data(), ref_h.data(), h.size() * sizeof(float)) == 0);
        }
      }
    }
    op->set_launch_graph(false);
  }
}

TEST_CASE("launch chunks are chained by programmatic dependent launch on sm_90; reset, single, inkernel are not",
          "[gpu][scan]") {
  int major = 0;
  REQUIRE(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, 0) == cudaSuccess);
  const bool pdl = major >= 9;
  corey::cuda::ScanRunner runner(0);
  Shape s;
  s.seqlen = 1000;
  ScanCase c(s, 91);
  // 1000 tokens in chunks of 300: launches of 300, 300, 300, 100.
  const auto chained = runner.plan(c.problem, cfg(ChunkMode::launch, 300), 300);
  REQUIRE(chained.size() == 4);
  for (std::size_t i = 0; i < chained.size(); ++i) {
    CAPTURE(i, pdl);
    REQUIRE(chained[i].pdl_dependent == (pdl && i > 0));
    REQUIRE(chained[i].pdl_trigger == (pdl && i + 1 < chained.size()));
    // The dependent reads what its predecessor wrote.
    if (i > 0) REQUIRE(chained[i].h_in == chained[i - 1].h_out);
  }
  const auto one = runner.plan(c.problem, cfg(ChunkMode::launch, 1000), 1000);
  REQUIRE(one.size() == 1);
  REQUIRE_FALSE(one[0].pdl_dependent);
  REQUIRE_FALSE(one[0].pdl_trigger);
  for (ChunkMode mode : {ChunkMode::reset, ChunkMode::single, ChunkMode::inkernel}) {
    CAPTURE(corey::scan::to_string(mode));
    for (const corey::cuda::ScanParams& k : runner.plan(c.problem, cfg(mode, 300), 300)) {
      REQUIRE_FALSE(k.pdl_dependent);
      REQUIRE_FALSE(k.pdl_trigger);
    }
  }
}

TEST_CASE("chained launch chunks on a multi-wave grid equal the single call bitwise, checkpoints included",
          "[gpu][scan]") {
  // 4 × 1536 rows: the runner's channel choice gives 256 blocks, more than an H200's 132 SMs hold one at a time,
  // so a chunk's successor becomes resident (and stages its first tile) while blocks of this chunk still run.
  auto op = corey::cuda::make_scan_op(0);
  for (DType t : {DType::f32, DType::bf16}) {
    Shape s;
    s.batch = 4;
    s.dim = 1536;
    s.seqlen = 777;  // ragged against the tile and every Q below
    s.dtype = t;
    ScanCase c(s, 101);
    op->run(c.problem, cfg(ChunkMode::single, 0));
    const std::vector<std::uint8_t> ref_out = c.out_bytes();
    const std::vector<float> ref_h = c.hT();
    for (std::int64_t q : {64, 200}) {
      const std::int64_t n_chunks = corey::scan::chunk_count(s.seqlen, q);
      const std::size_t n = static_cast<std::size_t>(s.batch * s.dim * n_chunks * 16);
      corey::cuda::DeviceBuffer ck_ref(n * sizeof(float)), ck(n * sizeof(float));
      ck_ref.fill_bytes(0xff);
      corey::scan::ScanProblem p = c.problem;
      p.checkpoints = static_cast<float*>(ck_ref.data());
      op->set_launch_graph(false);
      op->run(p, cfg(ChunkMode::inkernel, q));
      std::vector<float> a(n), b(n);
      ck_ref.download(a.data(), n * sizeof(float));
      p.checkpoints = static_cast<float*>(ck.data());
      for (bool graph : {false, true}) {
        CAPTURE(corey::to_string(t), q, graph);
        op->set_launch_graph(graph);
        c.poison_outputs();
        ck.fill_bytes(0xff);
        const ChunkReport r = op->run(p, cfg(ChunkMode::launch, q));
        require_honoured(r, s.seqlen, q);
        REQUIRE(c.out_bytes() == ref_out);
        const std::vector<float> h = c.hT();
        REQUIRE(std::memcmp(h.data(), ref_h.data(), h.size() * sizeof(float)) == 0);
        ck.download(b.data(), n * sizeof(float));
        REQUIRE(std::memcmp(a.data(), b.data(), n * sizeof(float)) == 0);
      }
    }
    op->set_launch_graph(false);
  }
}

TEST_CASE("per-chunk checkpoints agree between inkernel and launch, and end at the final state", "[gpu][scan][sanitize]") {
  auto op = corey::cuda::make_scan_op(0);
  Shape s;
  s.dim = 16;
  s.seqlen = 1500;
  ScanCase c(s, 41);
  for (std::int64_t q : {std::int64_t{256}, std::int64_t{100}}) {
    const std::int64_t n_chunks = corey::scan::chunk_count(s.seqlen, q);
    const std::size_t n = static_cast<std::size_t>(s.dim * n_chunks * 16);
    corey::cuda::DeviceBuffer ck_a(n * sizeof(float)), ck_b(n * sizeof(float));
    ck_a.fill_bytes(0xff);
    ck_b.fill_bytes(0xff);
    corey::scan::ScanProblem p = c.problem;
    p.checkpoints = static_cast<float*>(ck_a.data());
    op->run(p, cfg(ChunkMode::inkernel, q));
    p.checkpoints = static_cast<float*>(ck_b.data());
    op->run(p, cfg(ChunkMode::launch, q));
    std::vector<float> a(n), b(n);
    ck_a.download(a.data(), n * sizeof(float));
    ck_b.download(b.data(), n * sizeof(float));
    REQUIRE(std::memcmp(a.data(), b.data(), n * sizeof(float)) == 0);
    const std::vector<float> h = c.hT();
    for (std::int64_t d = 0; d < s.dim; ++d)
      for (int k = 0; k < 16; ++k)
        REQUIRE(a[static_cast<std::size_t>((d * n_chunks + n_chunks - 1) * 16 + k)] ==
                h[static_cast<std::size_t>(d * 16 + k)]);
  }
}

TEST_CASE("inkernel reads Q from device memory and reports it", "[gpu][scan]") {
  auto op = corey::cuda::make_scan_op(0);
  Shape s;
  s.dim = 16;
  s.seqlen = 2048;
  ScanCase c(s, 51);
  const std::int32_t q = 128;
  corey::cuda::DeviceBuffer dq(sizeof(q));
  dq.upload(&q, sizeof(q));
  ChunkConfig k;
  k.mode = ChunkMode::inkernel;
  k.chunk_ptr = static_cast<const std::int32_t*>(dq.data());
  const ChunkReport r = op->run(c.problem, k);
  require_honoured(r, s.seqlen, q);
  const ChunkReport l = op->run(c.problem, [&] {
    ChunkConfig lk = k;
    lk.mode = ChunkMode::launch;
    return lk;
  }());
  require_honoured(l, s.seqlen, q);
}

TEST_CASE("reset mode differs from the exact scan and says so", "[gpu][scan]") {
  auto op = corey::cuda::make_scan_op(0);
  Shape s;
  s.dim = 16;
  s.seqlen = 1024;
  s.h0 = false;
  ScanCase c(s, 61);
  op->run(c.problem, cfg(ChunkMode::single, 0));
  const std::vector<std::uint8_t> exact = c.out_bytes();
  const ChunkReport r = op->run(c.problem, cfg(ChunkMode::reset, 256));
  REQUIRE_FALSE(r.recurrence_preserving);
  REQUIRE_FALSE(r.bitwise_chunk_invariant);
  REQUIRE(r.chunks_executed == 4);
  REQUIRE(c.out_bytes() != exact);
  // The first chunk starts from zero in both, so it is identical.
  const std::vector<std::uint8_t> reset = c.out_bytes();
  REQUIRE(std::memcmp(reset.data(), exact.data(), 256 * sizeof(float)) == 0);
}

TEST_CASE("strided (token-major) inputs give the same bits as contiguous ones", "[gpu][scan][sanitize]") {
  auto op = corey::cuda::make_scan_op(0);
  Shape s;
  s.dim = 16;
  s.seqlen = 300;
  s.gate = true;
  ScanCase c(s, 71);
  op->run(c.problem, cfg(ChunkMode::inkernel, 64));
  const std::vector<std::uint8_t> ref = c.out_bytes();
  // Transpose u, dt, z to (B, L, D) and read them through strides (L·D, 1, D).
  auto transpose = [&](const std::vector<std::uint8_t>& v) {
    std::vector<std::uint8_t> t(v.size());
    for (std::int64_t d = 0; d < s.dim; ++d)
      for (std::int64_t l = 0; l < s.seqlen; ++l)
        std::memcpy(&t[static_cast<std::size_t>((l * s.dim + d) * 4)], &v[static_cast<std::size_t>((d * s.seqlen + l) * 4)], 4);
    return t;
  };
  auto up = [](const std::vector<std::uint8_t>& v) {
    corey::cuda::DeviceBuffer b(v.size());
    b.upload(v.data(), v.size());
    return b;
  };
  corey::cuda::DeviceBuffer tu = up(transpose(c.u)), tdt = up(transpose(c.dt)), tz = up(transpose(c.z));
  corey::scan::ScanProblem p = c.problem;
  const corey::scan::Strides3 tm{s.seqlen * s.dim, 1, s.dim};
  p.u = tu.data();
  p.u_stride = tm;
  p.delta = tdt.data();
  p.delta_stride = tm;
  p.z = tz.data();
  p.z_stride = tm;
  c.poison_outputs();
  op->run(p, cfg(ChunkMode::launch, 100));
  REQUIRE(c.out_bytes() == ref);
}

TEST_CASE("unsupported configurations are rejected up front", "[gpu][scan]") {
  auto op = corey::cuda::make_scan_op(0);
  Shape s;
  ScanCase c(s, 81);
  REQUIRE_FALSE(op->unsupported_reason(c.problem, cfg(ChunkMode::segmented, 64)).empty());
  REQUIRE_FALSE(op->unsupported_reason(c.problem, cfg(ChunkMode::inkernel, 0)).empty());
  corey::scan::ScanProblem p = c.problem;
  p.dstate = 8;
  REQUIRE_FALSE(op->unsupported_reason(p, cfg(ChunkMode::single, 0)).empty());
  REQUIRE_THROWS_AS(op->run(p, cfg(ChunkMode::single, 0)), corey::Error);
}

TEST_CASE("an impossible allocation is reported as OutOfMemory", "[gpu]") {
  REQUIRE_THROWS_AS(corey::cuda::DeviceBuffer(std::size_t{1} << 52), corey::cuda::OutOfMemory);
  // The device stays usable afterwards.
  corey::cuda::DeviceBuffer ok(1024);
  ok.fill_bytes(0);
  corey::cuda::synchronize();
}

TEST_CASE("describe_devices names the device", "[gpu]") {
  const corey::Json d = corey::cuda::describe_devices();
  REQUIRE(d.size() == static_cast<std::size_t>(corey::cuda::device_count()));
  REQUIRE(d[0]["sm_count"].get<int>() > 0);
  REQUIRE(d[0]["l2_bytes"].get<std::int64_t>() > 0);
  REQUIRE_FALSE(d[0]["name"].get<std::string>().empty());
}
