// Kernel benchmark of the CUDA `seq` scan (KERNELS.md §10, §12; issue 5's "numbers to beat"): CUDA-event
// timing with warm-up, back-to-back "batch" rounds (the protocol of the upstream numbers) and cold samples
// (L2 flushed before each launch), medians, bytes moved, % of the HBM / MUFU floors, bitwise chunk checks and
// an fp64-oracle check on sampled channels. Writes one JSON document.
//
//   corey_bench_scan --out FILE [--sections grid,ch,q,launch,table1,stats] [--quick]
//   corey_bench_scan --stats --out FILE   (statistics timing, ≤ 60 s)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "backend_stream.hpp"
#include "bench_document.hpp"
#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "entropy/cpu_stats.hpp"
#include "model/prefill_kernels.hpp"
#include "scan/oracle_scan.hpp"
#include "scan_kernel.hpp"
#include "scan_runner.hpp"
#include "stats/bootstrap.hpp"
#include "stats_kernel.hpp"

namespace cc = corey::cuda;
using corey::DType;
using corey::Json;
using corey::scan::ChunkConfig;
using corey::scan::ChunkMode;
using corey::scan::ScanProblem;

namespace {

// ---- ceilings of KERNELS.md §9 (H200) ----
constexpr double kHbmBps = 4.28e12;   // measured device-to-device copy, read + write
constexpr double kMufuPerS = 4.18e12;  // 132 SM × 16/clk × 1.98 GHz
constexpr double kChainS = 2.0e-9;     // one dependent FFMA per token

// Upstream mamba_ssm selective_scan_fwd on the same H200, B = 1 unless noted (KERNELS.md §9 table), µs.
struct Upstream {
  std::int64_t batch, dim, seqlen;
  double fp32_us, bf16_us;
};
const Upstream kUpstream[] = {
    {1, 1024, 1024, 56, 20},     {1, 1024, 4096, 178, 78},    {1, 1024, 16384, 722, 362},
    {1, 1024, 65536, 2873, 1455}, {1, 1536, 1024, 58, 37},     {1, 1536, 4096, 237, 120},
    {1, 1536, 16384, 970, 548},  {1, 1536, 65536, 3858, 2194}, {1, 2048, 1024, 86, 38},
    {1, 2048, 4096, 346, 157},   {1, 2048, 16384, 1414, 735}, {1, 2048, 65536, 5649, 2935},
    {1, 2560, 1024, 110, 51},    {1, 2560, 4096, 406, 194},   {1, 2560, 16384, 1700, 920},
    {1, 2560, 65536, 6791, 3683}, {1, 4096, 1024, 165, 74},    {1, 4096, 4096, 630, 306},
    {1, 4096, 16384, 2666, 1478}, {1, 4096, 65536, 10644, 5915}, {1, 5120, 1024, 199, 94},
    {1, 5120, 4096, 755, 379},   {1, 5120, 16384, 3174, 1852}, {1, 5120, 65536, 12626, 7410},
    {8, 1536, 4096, 1310, 870},
};
std::optional<double> upstream_us(std::int64_t b, std::int64_t d, std::int64_t l, DType t) {
  for (const Upstream& u : kUpstream)
    if (u.batch == b && u.dim == d && u.seqlen == l) return t == DType::f32 ? u.fp32_us : u.bf16_us;
  return std::nullopt;
}

// ---- inputs generated on the device (a counter hash; the distribution of KERNELS.md §9) ----
__device__ __forceinline__ float hash_uniform(std::uint64_t i, std::uint32_t seed) {
  std::uint64_t x = i * 0x9E3779B97F4A7C15ull + seed * 0xD1B54A32D192ED03ull;
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 32;
  return static_cast<float>(x & 0xffffff) * (1.0f / 16777216.0f);
}

template <typename T>
__global__ void fill_uniform(T* p, std::int64_t n, float lo, float hi, std::uint32_t seed) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const float v = lo + (hi - lo) * hash_uniform(static_cast<std::uint64_t>(i), seed);
    if constexpr (sizeof(T) == 4) {
      p[i] = v;
    } else {
      p[i] = T(v);
    }
  }
}

__global__ void fill_alog(float* a, std::int64_t dim, std::uint32_t seed) {
  const std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (i < dim * 16) a[i] = logf(static_cast<float>(i % 16 + 1) * (0.9f + 0.2f * hash_uniform(i, seed)));
}

__global__ void count_diff(const std::uint16_t* a, const std::uint16_t* b, std::int64_t n, unsigned long long* out) {
  unsigned long long local = 0;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    local += a[i] != b[i];
  if (local) atomicAdd(out, local);
}

void fill(void* p, DType t, std::int64_t n, float lo, float hi, std::uint32_t seed) {
  cudaStream_t s = cc::backend_stream(0);
  if (t == DType::f32) fill_uniform<<<1024, 256, 0, s>>>(static_cast<float*>(p), n, lo, hi, seed);
  if (t == DType::f16) fill_uniform<<<1024, 256, 0, s>>>(static_cast<__half*>(p), n, lo, hi, seed);
  if (t == DType::bf16) fill_uniform<<<1024, 256, 0, s>>>(static_cast<__nv_bfloat16*>(p), n, lo, hi, seed);
  cc::check(cudaGetLastError(), "fill_uniform");
}

struct Problem {
  std::int64_t batch, dim, seqlen;
  DType dtype;
  bool const_bc = false;
  bool gate = true;
  cc::DeviceBuffer u, dt, z, B, C, out, out2, A, Dskip, bias, hT;
  ScanProblem p;

  Problem(std::int64_t b, std::int64_t d, std::int64_t l, DType t, bool cbc, bool g)
      : batch(b), dim(d), seqlen(l), dtype(t), const_bc(cbc), gate(g) {
    const std::size_t e = corey::dtype_bytes(t);
    const std::int64_t n = b * d * l;
    const std::int64_t nbc = cbc ? d * 16 : b * 16 * l;
    u = cc::DeviceBuffer(n * e), dt = cc::DeviceBuffer(n * e), out = cc::DeviceBuffer(n * e);
    out2 = cc::DeviceBuffer(n * e);
    if (g) z = cc::DeviceBuffer(n * e);
    B = cc::DeviceBuffer(nbc * e), C = cc::DeviceBuffer(nbc * e);
    A = cc::DeviceBuffer(d * 16 * 4), Dskip = cc::DeviceBuffer(d * 4), bias = cc::DeviceBuffer(d * 4);
    hT = cc::DeviceBuffer(b * d * 16 * 4);
    fill(u.data(), t, n, -1, 1, 1);
    fill(dt.data(), t, n, -3, 0, 2);
    if (g) fill(z.data(), t, n, -2, 2, 3);
    fill(B.data(), t, nbc, -1, 1, 4);
    fill(C.data(), t, nbc, -1, 1, 5);
    fill(Dskip.data(), DType::f32, d, -1, 1, 6);
    fill(bias.data(), DType::f32, d, -4.5f, -2.2f, 7);
    fill_alog<<<static_cast<unsigned>((d * 16 + 255) / 256), 256, 0, cc::backend_stream(0)>>>(
        static_cast<float*>(A.data()), d, 8);
    cc::check(cudaGetLastError(), "fill_alog");
    p.batch = b, p.dim = d, p.seqlen = l, p.dstate = 16, p.groups = cbc ? d : 1, p.io_dtype = t;
    const auto act = corey::scan::contiguous_bdl(d, l);
    p.u = u.data(), p.u_stride = act, p.delta = dt.data(), p.delta_stride = act;
    p.z = g ? z.data() : nullptr, p.z_stride = act;
    p.B = B.data(), p.C = C.data();
    p.B_stride = cbc ? corey::scan::Strides4{0, 16, 1, 0} : corey::scan::contiguous_bgnl(1, 16, l);
    p.C_stride = p.B_stride;
    p.A = static_cast<const float*>(A.data()), p.a_form = corey::scan::AForm::a_log;
    p.D_skip = static_cast<const float*>(Dskip.data()), p.delta_bias = static_cast<const float*>(bias.data());
    p.hT = static_cast<float*>(hT.data());
    p.out = out.data(), p.out_stride = act;
  }
  std::size_t act_bytes() const { return static_cast<std::size_t>(batch * dim * seqlen) * corey::dtype_bytes(dtype); }
  // Minimum HBM traffic: read u, dt (and z), write out; B/C once per batch row.
  double bytes_moved() const {
    const double e = static_cast<double>(corey::dtype_bytes(dtype));
    const double bc = const_bc ? 2.0 * dim * 16 * e : 2.0 * batch * 16 * seqlen * e;
    return static_cast<double>(batch * dim * seqlen) * e * (gate ? 4 : 3) + bc;
  }
  Json floors() const {
    const double dl = static_cast<double>(batch * dim * seqlen);
    Json f = Json::object();
    f["hbm_s"] = bytes_moved() / kHbmBps;
    f["mufu_s"] = dl * 16 / kMufuPerS;
    f["serial_s"] = kChainS * seqlen;
    return f;
  }
  double floor_s() const {
    const Json f = floors();
    return std::max({f["hbm_s"].get<double>(), f["mufu_s"].get<double>(), f["serial_s"].get<double>()});
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Timing {
  double batch_s = 0;  // median over rounds of (round time / launches)
  double cold_s = 0;   // median over single-launch samples after an L2 flush
  int rounds = 0, per_round = 0, cold_n = 0;
  Json json() const {
    Json j = Json::object();
    j["batch_median_s"] = batch_s;
    j["cold_median_s"] = cold_s > 0 ? Json(cold_s) : Json(nullptr);
    j["rounds"] = rounds;
    j["launches_per_round"] = per_round;
    j["cold_samples"] = cold_n;
    return j;
  }
};

bool g_quick = false;
std::vector<std::int64_t> g_launch_chunks = {32, 64, 128, 256, 512, 1024, 2048, 4096};  // Q of section `launch`

// Times `reps` back-to-back repetitions of a workload on the backend stream between two CUDA events (seconds).
class EventTimer {
 public:
  EventTimer() {
    cc::check(cudaEventCreate(&start_), "cudaEventCreate");
    cc::check(cudaEventCreate(&stop_), "cudaEventCreate");
  }
  ~EventTimer() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;
  double operator()(const std::function<void()>& enqueue, int reps) {
    cudaStream_t s = cc::backend_stream(0);
    cc::check(cudaEventRecord(start_, s), "cudaEventRecord");
    for (int i = 0; i < reps; ++i) enqueue();
    cc::check(cudaEventRecord(stop_, s), "cudaEventRecord");
    cc::check(cudaEventSynchronize(stop_), "cudaEventSynchronize");
    float ms = 0;
    cc::check(cudaEventElapsedTime(&ms, start_, stop_), "cudaEventElapsedTime");
    return ms * 1e-3;
  }

 private:
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

// `enqueue` issues one repetition of the work on the backend stream.
Timing measure(const std::function<void()>& enqueue, bool cold) {
  EventTimer timer;
  const auto timed = [&](int reps) { return timer(enqueue, reps); };
  for (int i = 0; i < 3; ++i) enqueue();  // warm-up
  const double one = timed(1);
  Timing t;
  const double window = g_quick ? 0.01 : 0.03;  // seconds per round
  t.per_round = static_cast<int>(std::clamp(window / std::max(one, 1e-6), 1.0, 2000.0));
  t.rounds = g_quick ? 3 : 5;
  std::vector<double> rounds;
  for (int r = 0; r < t.rounds; ++r) rounds.push_back(timed(t.per_round) / t.per_round);
  t.batch_s = median(rounds);
  if (cold) {
    t.cold_n = g_quick ? 7 : 15;
    std::vector<double> samples;
    for (int i = 0; i < t.cold_n; ++i) {
      cc::flush_l2(0);
      samples.push_back(timed(1));
    }
    t.cold_s = median(samples);
  }
  return t;
}

// Two workloads measured in interleaved rounds (HARNESS.md §4.8), so that a drift of clocks or temperature over
// a section hits both alike: each round times both, in the order base, row, then row, base in the next round;
// the cold samples alternate the same way. `ratio` = median(row) / median(base) of the batch rounds, its CI a
// percentile bootstrap paired by round (§4.4.3).
struct PairedTiming {
  Timing base, row;
  corey::stats::BootstrapCi ratio, cold_ratio;
};

PairedTiming measure_paired(const std::function<void()>& base, const std::function<void()>& row, bool cold) {
  EventTimer timed;
  for (int i = 0; i < 3; ++i) base(), row();  // warm-up
  const double window = g_quick ? 0.01 : 0.03;  // seconds per round and side
  const double one = std::max({timed(base, 1), timed(row, 1), 1e-6});
  PairedTiming t;
  const int per_round = static_cast<int>(std::clamp(window / one, 1.0, 2000.0));
  const int rounds = g_quick ? 5 : 15;
  std::vector<double> base_rounds, row_rounds;
  for (int r = 0; r < rounds; ++r) {
    if (r % 2 == 0) base_rounds.push_back(timed(base, per_round) / per_round);
    row_rounds.push_back(timed(row, per_round) / per_round);
    if (r % 2 == 1) base_rounds.push_back(timed(base, per_round) / per_round);
  }
  corey::stats::BootstrapConfig boot;
  boot.seed = 0x5eed;
  t.ratio = corey::stats::bootstrap_median_ratio_ci(row_rounds, base_rounds, corey::stats::Pairing::paired, boot);
  for (Timing* side : {&t.base, &t.row}) {
    side->rounds = rounds;
    side->per_round = per_round;
  }
  t.base.batch_s = median(base_rounds);
  t.row.batch_s = median(row_rounds);
  if (cold) {
    const int n = g_quick ? 7 : 15;
    std::vector<double> base_cold, row_cold;
    for (int i = 0; i < n; ++i) {
      for (int side = 0; side < 2; ++side) {
        const bool base_side = (side == 0) == (i % 2 == 0);
        cc::flush_l2(0);
        (base_side ? base_cold : row_cold).push_back(timed(base_side ? base : row, 1));
      }
    }
    t.cold_ratio = corey::stats::bootstrap_median_ratio_ci(row_cold, base_cold, corey::stats::Pairing::paired, boot);
    t.base.cold_n = t.row.cold_n = n;
    t.base.cold_s = median(base_cold);
    t.row.cold_s = median(row_cold);
  }
  return t;
}

void launch_plan(const std::vector<cc::ScanParams>& plan, DType t) {
  const cc::IoType io = cc::io_type(t);
  for (const cc::ScanParams& k : plan) cc::launch_seq_scan(io, k, cc::backend_stream(0));
}

ChunkConfig cfg(ChunkMode m, std::int64_t q) {
  ChunkConfig c;
  c.mode = m;
  c.chunk = q;
  return c;
}

// Compares the outputs of two runs bit for bit on the device.
unsigned long long differing_words(const Problem& pr, const void* a, const void* b) {
  cc::DeviceBuffer cnt(sizeof(unsigned long long));
  cnt.fill_bytes(0);
  const std::int64_t words = static_cast<std::int64_t>(pr.act_bytes() / 2);
  count_diff<<<1024, 256, 0, cc::backend_stream(0)>>>(static_cast<const std::uint16_t*>(a),
                                                      static_cast<const std::uint16_t*>(b), words,
                                                      static_cast<unsigned long long*>(cnt.data()));
  cc::check(cudaGetLastError(), "count_diff");
  cc::synchronize();
  unsigned long long n = 0;
  cnt.download(&n, sizeof(n));
  return n;
}

// fp64 oracle on `k` channels spread over D (batch row 0), against the device output of the last run.
Json oracle_check(const Problem& pr, int k) {
  const std::int64_t L = pr.seqlen;
  const std::size_t e = corey::dtype_bytes(pr.dtype);
  std::vector<std::uint8_t> u(k * L * e), dt(k * L * e), z(pr.gate ? k * L * e : 0), out(k * L * e);
  const std::int64_t nbc = pr.const_bc ? k * 16 : 16 * L;
  std::vector<std::uint8_t> B(nbc * e), C(nbc * e);
  std::vector<float> A(k * 16), Dskip(k), bias(k);
  cc::synchronize();
  for (int i = 0; i < k; ++i) {
    const std::int64_t d = (pr.dim - 1) * i / std::max(k - 1, 1);
    const std::size_t off = static_cast<std::size_t>(d * L) * e;
    pr.u.download(&u[i * L * e], L * e, off);
    pr.dt.download(&dt[i * L * e], L * e, off);
    if (pr.gate) pr.z.download(&z[i * L * e], L * e, off);
    pr.out.download(&out[i * L * e], L * e, off);
    pr.A.download(&A[i * 16], 64, d * 64);
    pr.Dskip.download(&Dskip[i], 4, d * 4);
    pr.bias.download(&bias[i], 4, d * 4);
    if (pr.const_bc) {
      pr.B.download(&B[i * 16 * e], 16 * e, d * 16 * e);
      pr.C.download(&C[i * 16 * e], 16 * e, d * 16 * e);
    }
  }
  if (!pr.const_bc) {
    pr.B.download(B.data(), B.size());
    pr.C.download(C.data(), C.size());
  }
  ScanProblem p = pr.p;
  p.batch = 1, p.dim = k, p.groups = pr.const_bc ? k : 1;
  const auto act = corey::scan::contiguous_bdl(k, L);
  p.u = u.data(), p.u_stride = act, p.delta = dt.data(), p.delta_stride = act;
  p.z = pr.gate ? z.data() : nullptr, p.z_stride = act;
  p.B = B.data(), p.C = C.data();
  p.B_stride = pr.const_bc ? corey::scan::Strides4{0, 16, 1, 0} : corey::scan::contiguous_bgnl(1, 16, L);
  p.C_stride = p.B_stride;
  p.A = A.data(), p.D_skip = Dskip.data(), p.delta_bias = bias.data();
  p.h0 = nullptr, p.hT = nullptr, p.out = out.data(), p.checkpoints = nullptr;  // out: set, unused by the oracle
  const corey::scan::OracleResult ref = corey::scan::oracle_scan(p);
  double max_abs = 0, max_ref = 0, max_rel = 0;
  bool finite = true;
  for (std::int64_t i = 0; i < k * L; ++i) {
    const double g = corey::load_as_f32(out.data(), pr.dtype, i);
    finite = finite && std::isfinite(g);
    const double err = std::abs(g - ref.out[i]);
    max_abs = std::max(max_abs, err);
    max_ref = std::max(max_ref, std::abs(ref.out[i]));
    max_rel = std::max(max_rel, err / (std::abs(ref.out[i]) + 1e-2));
  }
  Json j = Json::object();
  j["reference"] = "fp64 oracle (lib/scan), sampled channels";
  j["channels"] = k;
  j["max_abs_err"] = max_abs;
  j["max_rel_err_floor_1e-2"] = max_rel;
  j["max_abs_ref"] = max_ref;
  j["finite"] = finite;
  return j;
}

std::string dtype_name(DType t) { return std::string(corey::to_string(t)); }

Json point_header(const Problem& pr) {
  Json j = Json::object();
  j["batch"] = pr.batch;
  j["dim"] = pr.dim;
  j["seqlen"] = pr.seqlen;
  j["dtype"] = dtype_name(pr.dtype);
  j["bc"] = pr.const_bc ? "time-invariant" : "input-dependent";
  j["gate"] = pr.gate;
  return j;
}

void add_throughput(Json& j, const Problem& pr, double t) {
  j["bytes_moved"] = pr.bytes_moved();
  j["bytes_formula"] = "B*D*L*s*(3 + gate) + B/C rows";
  j["gdl_per_s"] = static_cast<double>(pr.batch * pr.dim * pr.seqlen) / t * 1e-9;
  j["hbm_Bps"] = pr.bytes_moved() / t;
  j["floors"] = pr.floors();
  j["pct_floor"] = 100.0 * pr.floor_s() / t;
}

// ---- sections ----

Json section_grid(cc::ScanRunner& runner) {
  Json rows = Json::array();
  std::vector<std::int64_t> dims = {1024, 1536, 2048, 2560, 4096, 5120};
  std::vector<std::int64_t> lens = {1024, 4096, 16384, 65536};
  if (g_quick) dims = {1536, 2048, 5120}, lens = {4096, 65536};
  for (DType t : {DType::f32, DType::bf16}) {
    for (std::int64_t b : {1, 8}) {
      for (std::int64_t d : dims) {
        for (std::int64_t l : lens) {
          if (b == 8 && (l > 4096 || (g_quick && d != 1536))) continue;
          Problem pr(b, d, l, t, false, true);
          Json j = point_header(pr);
          j["mode"] = "inkernel";
          j["chunk"] = 256;
          j["channels_per_block"] = runner.channels_per_block(pr.p);
          j["lanes"] = runner.lanes(pr.p);
          const auto plan = runner.plan(pr.p, cfg(ChunkMode::inkernel, 256), 0);
          const Timing tm = measure([&] { launch_plan(plan, t); }, true);
          j["time"] = tm.json();
          add_throughput(j, pr, tm.batch_s);
          j["cold_pct_floor"] = 100.0 * pr.floor_s() / tm.cold_s;
          if (auto up = upstream_us(b, d, l, t)) {
            j["upstream_us"] = *up;
            j["speedup_vs_upstream"] = *up * 1e-6 / tm.batch_s;
            j["target_speedup"] = t == DType::f32 ? 2.0 : 1.0;
            j["meets_target"] = *up * 1e-6 / tm.batch_s >= (t == DType::f32 ? 2.0 : 1.0);
          }
          // Verification: inkernel Q=256 (timed above) vs the single call, bitwise; the report; the oracle.
          runner.enqueue(pr.p, cfg(ChunkMode::inkernel, 256));
          const corey::scan::ChunkReport rep = runner.collect();
          ScanProblem single = pr.p;
          single.out = pr.out2.data();
          runner.enqueue(single, cfg(ChunkMode::single, 0));
          runner.collect();
          Json v = oracle_check(pr, 4);
          v["bitwise_vs_single_differing_words"] = differing_words(pr, pr.out.data(), pr.out2.data());
          v["chunk_report"] = rep.to_json();
          j["verify"] = v;
          std::printf("grid %-4s B=%ld D=%5ld L=%6ld ln=%2d ch=%2d  %9.1f us (cold %9.1f)  %6.1f G/s  %5.1f%% floor  %s\n",
                      dtype_name(t).c_str(), static_cast<long>(b), static_cast<long>(d), static_cast<long>(l),
                      runner.lanes(pr.p), runner.channels_per_block(pr.p), tm.batch_s * 1e6, tm.cold_s * 1e6,
                      j["gdl_per_s"].get<double>(), j["pct_floor"].get<double>(),
                      j.contains("speedup_vs_upstream")
                          ? ("x" + std::to_string(j["speedup_vs_upstream"].get<double>()) + " vs upstream").c_str()
                          : "");
          std::fflush(stdout);
          rows.push_back(j);
        }
      }
    }
  }
  return rows;
}

Json section_ch(cc::ScanRunner& runner) {
  Json rows = Json::array();
  struct S {
    std::int64_t b, d, l;
  };
  std::vector<S> shapes = {{1, 1536, 4096}, {1, 2048, 4096}, {1, 5120, 4096}, {8, 1536, 4096},
                           {8, 2560, 4096}, {8, 5120, 4096}, {1, 2048, 65536}};
  if (g_quick) shapes = {{1, 1536, 4096}, {1, 2048, 4096}, {8, 1536, 4096}};
  for (DType t : {DType::f32, DType::bf16}) {
    for (const S& s : shapes) {
      Problem pr(s.b, s.d, s.l, t, false, true);
      const int chosen = runner.channels_per_block(pr.p);
      const int chosen_lanes = runner.lanes(pr.p);
      for (int lanes : {16, 8}) for (int ch = 1; ch <= cc::kScanMaxThreads / lanes; ++ch) {
        runner.set_lanes(lanes);
        runner.set_channels_per_block(ch);
        if (runner.channels_per_block(pr.p) != ch) continue;  // not a valid CH for this shape
        const auto plan = runner.plan(pr.p, cfg(ChunkMode::inkernel, 256), 0);
        const Timing tm = measure([&] { launch_plan(plan, t); }, false);
        Json j = point_header(pr);
        j["lanes"] = lanes;
        j["channels_per_block"] = ch;
        j["blocks"] = s.b * (s.d / ch);
        j["blocks_per_sm"] = cc::seq_scan_blocks_per_sm(cc::io_type(t), false, lanes, ch);
        j["heuristic_choice"] = ch == chosen && lanes == chosen_lanes;
        j["time"] = tm.json();
        add_throughput(j, pr, tm.batch_s);
        std::printf("ch   %-4s B=%ld D=%5ld L=%6ld lanes=%2d ch=%2d blocks=%5ld per SM=%d %9.1f us%s\n",
                    dtype_name(t).c_str(), static_cast<long>(s.b), static_cast<long>(s.d), static_cast<long>(s.l),
                    lanes, ch, static_cast<long>(s.b * (s.d / ch)), j["blocks_per_sm"].get<int>(), tm.batch_s * 1e6,
                    ch == chosen && lanes == chosen_lanes ? "  <- heuristic" : "");
        rows.push_back(j);
      }
      runner.set_channels_per_block(0);
      runner.set_lanes(0);
    }
  }
  return rows;
}

Json section_q(cc::ScanRunner& runner) {
  Json rows = Json::array();
  struct S {
    std::int64_t d, l;
  };
  for (const S& s : {S{2048, 4096}, S{1536, 16384}}) {
    Problem pr(1, s.d, s.l, DType::f32, false, true);
    const auto single_plan = runner.plan(pr.p, cfg(ChunkMode::single, 0), 0);
    const Timing ts = measure([&] { launch_plan(single_plan, DType::f32); }, false);
    for (std::int64_t q = 32; q <= 4096; q *= 2) {
      const auto plan = runner.plan(pr.p, cfg(ChunkMode::inkernel, q), 0);
      const Timing tq = measure([&] { launch_plan(plan, DType::f32); }, false);
      Json j = point_header(pr);
      j["mode"] = "inkernel";
      j["chunk"] = q;
      j["time"] = tq.json();
      j["single_time"] = ts.json();
      j["overhead_vs_single_pct"] = 100.0 * (tq.batch_s / ts.batch_s - 1.0);
      std::printf("q    inkernel D=%5ld L=%6ld Q=%5ld %9.1f us single %9.1f us  %+6.2f%%\n", static_cast<long>(s.d),
                  static_cast<long>(s.l), static_cast<long>(q), tq.batch_s * 1e6, ts.batch_s * 1e6,
                  j["overhead_vs_single_pct"].get<double>());
      rows.push_back(j);
    }
  }
  return rows;
}

// Captures `plan` in a CUDA Graph; the caller destroys the returned exec.
cudaGraphExec_t capture(const std::vector<cc::ScanParams>& plan, DType t) {
  cudaStream_t s = cc::backend_stream(0);
  cc::prepare_seq_scan(cc::io_type(t), plan.front().B_sl == 0 && plan.front().C_sl == 0, plan.front().lanes);
  cudaGraph_t g = nullptr;
  cc::check(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
  launch_plan(plan, t);
  cc::check(cudaStreamEndCapture(s, &g), "cudaStreamEndCapture");
  cudaGraphExec_t e = nullptr;
  cc::check(cudaGraphInstantiate(&e, g, 0), "cudaGraphInstantiate");
  cudaGraphDestroy(g);
  return e;
}

// `launch` (one launch per chunk) plain and as a CUDA Graph, with the chunks chained by programmatic dependent
// launch (what ScanRunner plans on sm_90) and without (every launch a full stream dependency), against one
// `single` launch; the PDL graph's output and final state are checked bitwise against `single` at every Q.
Json section_launch(cc::ScanRunner& runner) {
  Json rows = Json::array();
  struct S {
    std::int64_t d, l;
  };
  std::vector<S> shapes = {{1536, 16384}, {5120, 16384}, {2048, 65536}};
  if (g_quick) shapes = {{1536, 16384}};
  auto graph_time = [](const std::vector<cc::ScanParams>& plan) {
    cudaGraphExec_t e = capture(plan, DType::f32);
    const Timing t = measure([&] { cc::check(cudaGraphLaunch(e, cc::backend_stream(0)), "cudaGraphLaunch"); }, false);
    cudaGraphExecDestroy(e);
    return t;
  };
  for (const S& s : shapes) {
    Problem pr(1, s.d, s.l, DType::f32, false, true);
    ScanProblem single = pr.p;
    single.out = pr.out2.data();
    const auto single_plan = runner.plan(single, cfg(ChunkMode::single, 0), 0);
    const Timing ts = measure([&] { launch_plan(single_plan, DType::f32); }, false);
    cc::synchronize();
    std::vector<float> h_single(static_cast<std::size_t>(s.d * 16));
    pr.hT.download(h_single.data(), h_single.size() * sizeof(float));
    for (std::int64_t q : g_launch_chunks) {
      const auto plan = runner.plan(pr.p, cfg(ChunkMode::launch, q), q);
      std::vector<cc::ScanParams> serial = plan;
      for (cc::ScanParams& k : serial) k.pdl_trigger = k.pdl_dependent = false;
      const bool pdl = plan.size() > 1 && plan.back().pdl_dependent;
      const Timing tl = measure([&] { launch_plan(plan, DType::f32); }, false);
      const Timing tln = measure([&] { launch_plan(serial, DType::f32); }, false);
      const Timing tgn = graph_time(serial);
      const Timing tg = graph_time(plan);  // last, so out and hT hold the PDL graph's results
      cc::synchronize();
      std::vector<float> h(h_single.size());
      pr.hT.download(h.data(), h.size() * sizeof(float));
      Json j = point_header(pr);
      j["chunk"] = q;
      j["launches"] = static_cast<std::int64_t>(plan.size());
      j["programmatic_dependent_launch"] = pdl;
      j["single_time"] = ts.json();
      j["launch_time"] = tl.json();
      j["graph_time"] = tg.json();
      j["launch_no_pdl_time"] = tln.json();
      j["graph_no_pdl_time"] = tgn.json();
      j["launch_overhead_pct"] = 100.0 * (tl.batch_s / ts.batch_s - 1.0);
      j["graph_overhead_pct"] = 100.0 * (tg.batch_s / ts.batch_s - 1.0);
      j["launch_no_pdl_overhead_pct"] = 100.0 * (tln.batch_s / ts.batch_s - 1.0);
      j["graph_no_pdl_overhead_pct"] = 100.0 * (tgn.batch_s / ts.batch_s - 1.0);
      j["graph_per_boundary_us"] = plan.size() > 1 ? (tg.batch_s - ts.batch_s) / (plan.size() - 1) * 1e6 : 0.0;
      j["graph_no_pdl_per_boundary_us"] =
          plan.size() > 1 ? (tgn.batch_s - ts.batch_s) / (plan.size() - 1) * 1e6 : 0.0;
      const unsigned long long diff = differing_words(pr, pr.out.data(), pr.out2.data());
      const bool h_equal = std::memcmp(h.data(), h_single.data(), h.size() * sizeof(float)) == 0;
      j["graph_vs_single_differing_words"] = diff;
      j["graph_vs_single_final_state_equal"] = h_equal;
      std::printf("lnch D=%5ld L=%6ld Q=%5ld single %9.1f launch %9.1f (%+6.1f%%, no PDL %+6.1f%%) graph %9.1f "
                  "(%+6.1f%%, no PDL %+6.1f%%) %s\n",
                  static_cast<long>(s.d), static_cast<long>(s.l), static_cast<long>(q), ts.batch_s * 1e6,
                  tl.batch_s * 1e6, j["launch_overhead_pct"].get<double>(),
                  j["launch_no_pdl_overhead_pct"].get<double>(), tg.batch_s * 1e6,
                  j["graph_overhead_pct"].get<double>(), j["graph_no_pdl_overhead_pct"].get<double>(),
                  diff == 0 && h_equal ? "bitwise = single" : "DIFFERS FROM SINGLE");
      std::fflush(stdout);
      rows.push_back(j);
    }
  }
  return rows;
}

// The paper's W1 setup (B 1, D 1024, L 4096/8192, fp16/bf16, time-invariant B/C): `reset` one-launch-per-chunk
// rows next to the honest rows on identical inputs.
Json section_table1(cc::ScanRunner& runner) {
  Json rows = Json::array();
  for (DType t : {DType::f16, DType::bf16}) {
    for (std::int64_t l : {4096, 8192}) {
      Problem pr(1, 1024, l, t, true, false);
      auto add = [&](const char* row, ChunkMode m, std::int64_t q) {
        const auto plan = runner.plan(pr.p, cfg(m, q), q);
        const Timing tm = measure([&] { launch_plan(plan, t); }, true);
        Json j = point_header(pr);
        j["row"] = row;
        j["mode"] = std::string(corey::scan::to_string(m));
        j["chunk"] = q;
        j["launches"] = static_cast<std::int64_t>(plan.size());
        j["time"] = tm.json();
        add_throughput(j, pr, tm.batch_s);
        std::printf("tab1 %-4s L=%5ld %-12s Q=%4ld launches=%4zu %9.1f us (cold %9.1f)\n", dtype_name(t).c_str(),
                    static_cast<long>(l), row, static_cast<long>(q), plan.size(), tm.batch_s * 1e6, tm.cold_s * 1e6);
        rows.push_back(j);
      };
      add("single", ChunkMode::single, l);
      for (std::int64_t q : {32, 64, 128, 256, 512}) {
        add(("static-" + std::to_string(q)).c_str(), ChunkMode::inkernel, q);
        add(("reset-" + std::to_string(q)).c_str(), ChunkMode::reset, q);
      }
      // reset differs from the exact scan on these inputs (paper-faithful, invalid).
      ScanProblem exact = pr.p;
      exact.out = pr.out2.data();
      runner.enqueue(exact, cfg(ChunkMode::single, 0));
      runner.collect();
      runner.enqueue(pr.p, cfg(ChunkMode::reset, 64));
      const auto rep = runner.collect();
      Json j = point_header(pr);
      j["row"] = "reset-64 vs single";
      j["differing_words"] = differing_words(pr, pr.out.data(), pr.out2.data());
      j["chunk_report"] = rep.to_json();
      rows.push_back(j);
    }
  }
  return rows;
}

// Device statistics + chunk choice ahead of a D = 2048, L = 4096 scan that reads Q from device memory. Rows:
// the estimator at stride 1 and 8 (the grid path: the sample exceeds one cluster), and at stride 256 (16
// sampled tokens per channel, 32768 values) on the grid path, on the one-cluster path, and on the cluster path
// with the scan launched as its programmatic dependent (the scan stages and preprocesses its first tile while
// the statistic runs, then waits for it and reads Q); the same two launches with the statistic over one value
// (what the pair of launches costs with next to no statistic); and the statistic computed by blocks of the
// scan's own launch (launch_seq_scan_routed), which costs no launch, the last row again over one value. Each row is
// timed interleaved with the scan alone (measure_paired), so its overhead is a paired ratio with a CI.
Json section_stats(cc::ScanRunner& runner) {
  using corey::entropy::Estimator;
  Json rows = Json::array();
  auto stats = cc::make_stats_op(0);
  cc::DeviceBuffer hq(8);
  float* h_dev = static_cast<float*>(hq.data());
  std::int32_t* q_dev = reinterpret_cast<std::int32_t*>(static_cast<char*>(hq.data()) + 4);
  const std::int64_t cluster_limit = cc::stats_cluster_max_samples();
  struct Row {
    Estimator est;
    std::int64_t stride;
    bool cluster;       // the one-cluster path allowed
    bool programmatic;  // the scan launched as a programmatic dependent of the statistic
    bool one_value = false;  // the statistic over u[0, 0, 0] only
    bool in_scan = false;    // computed by blocks of the scan's launch
  };
  const Row rows_wanted[] = {{Estimator::hist, 1, true, false},           {Estimator::hist, 8, true, false},
                             {Estimator::variance_proxy, 1, true, false}, {Estimator::variance_proxy, 8, true, false},
                             {Estimator::hist, 256, false, false},        {Estimator::hist, 256, true, false},
                             {Estimator::hist, 256, true, true},          {Estimator::cheap_proxy, 256, true, true},
                             {Estimator::variance_proxy, 256, true, true},
                             {Estimator::cheap_proxy, 1, true, true, true},
                             {Estimator::hist, 256, true, false, false, true},
                             {Estimator::cheap_proxy, 256, true, false, false, true},
                             {Estimator::variance_proxy, 256, true, false, false, true},
                             {Estimator::cheap_proxy, 1, true, false, true, true}};
  for (DType t : {DType::f32, DType::bf16}) {
    Problem pr(1, 2048, 4096, t, false, true);
    const auto full_view = corey::entropy::contiguous_view(pr.u.data(), t, 1, 2048, 4096);
    const auto one_view = corey::entropy::contiguous_view(pr.u.data(), t, 1, 1, 1);
    const auto scan_plan = runner.plan(pr.p, cfg(ChunkMode::inkernel, 256), 0);
    ChunkConfig routed;
    routed.mode = ChunkMode::inkernel;
    routed.chunk_ptr = q_dev;
    const auto routed_plan = runner.plan(pr.p, routed, 0);
    auto dependent_plan = routed_plan;
    for (cc::ScanParams& k : dependent_plan) k.pdl_dependent = true;
    const Timing ts = measure([&] { launch_plan(scan_plan, t); }, true);
    // The routed scan alone, Q already in memory: what reading Q from device memory costs by itself.
    stats->choose_chunk_into(full_view, corey::entropy::Statistic{}, corey::entropy::ChunkRule{}, h_dev, q_dev);
    const Timing tr = measure([&] { launch_plan(routed_plan, t); }, true);
    std::printf("stat %-4s scan Q 256 %8.1f us, scan reading Q from memory %8.1f us\n", dtype_name(t).c_str(),
                ts.batch_s * 1e6, tr.batch_s * 1e6);
    for (const Row& row : rows_wanted) {
      corey::entropy::Statistic st;
      st.estimator = row.est;
      st.stride = row.stride;
      corey::entropy::ChunkRule rule;
      stats->set_cluster_max_samples(row.cluster ? cluster_limit : 0);
      const auto& view = row.one_value ? one_view : full_view;
      const std::int64_t samples = row.one_value ? 1 : 2048 * ((4096 + row.stride - 1) / row.stride);
      const bool on_cluster = row.cluster && samples <= cluster_limit;
      stats->set_timing(false);  // measure's events bracket each repetition; none may sit between the two kernels
      const Timing tst = measure([&] { stats->choose_chunk_into(view, st, rule, h_dev, q_dev); }, true);
      cc::RoutedStatistic in_scan;
      if (row.in_scan) in_scan = stats->routed_statistic(view, st, rule, h_dev, q_dev);
      const PairedTiming pair = measure_paired(
          [&] { launch_plan(scan_plan, t); },
          [&] {
            if (row.in_scan) {
              cc::launch_seq_scan_routed(cc::io_type(t), routed_plan.front(), in_scan, cc::backend_stream(0));
              return;
            }
            stats->choose_chunk_into(view, st, rule, h_dev, q_dev);
            launch_plan(row.programmatic ? dependent_plan : routed_plan, t);
          },
          true);
      const Timing& tall = pair.row;
      stats->set_timing(true);
      Json j = point_header(pr);
      j["estimator"] = std::string(corey::entropy::to_string(row.est));
      j["stride"] = row.stride;
      j["samples"] = samples;
      j["path"] = row.in_scan ? "blocks of the scan's launch" : on_cluster ? "cluster" : "grid";
      const char* launch = row.in_scan ? "in the scan's launch" : row.programmatic ? "programmatic" : "after";
      j["scan_launch"] = launch;
      j["scan_time"] = pair.base.json();
      j["routed_scan_time"] = tr.json();
      j["stats_time"] = tst.json();
      j["stats_then_scan_time"] = tall.json();
      j["overhead_pct"] = 100.0 * (pair.ratio.estimate - 1.0);
      j["overhead_ci_pct"] = {100.0 * (pair.ratio.lo - 1.0), 100.0 * (pair.ratio.hi - 1.0)};
      j["overhead_cold_pct"] = 100.0 * (pair.cold_ratio.estimate - 1.0);
      j["ratio_vs_scan"] = pair.ratio.to_json();
      j["cold_ratio_vs_scan"] = pair.cold_ratio.to_json();
      std::printf("stat %-4s %-15s s=%-3ld %-7s %-20s scan %8.1f us stats %7.1f us stats+scan %8.1f us  "
                  "overhead %+5.1f%% [%+5.1f, %+5.1f] (cold %+5.1f%%)\n",
                  dtype_name(t).c_str(), corey::entropy::to_string(row.est).data(), static_cast<long>(row.stride),
                  row.in_scan ? "block" : on_cluster ? "cluster" : "grid", launch, pair.base.batch_s * 1e6,
                  tst.batch_s * 1e6, tall.batch_s * 1e6, j["overhead_pct"].get<double>(),
                  100.0 * (pair.ratio.lo - 1.0), 100.0 * (pair.ratio.hi - 1.0), j["overhead_cold_pct"].get<double>());
      std::fflush(stdout);
      rows.push_back(j);
    }
    stats->set_cluster_max_samples(cluster_limit);
  }
  return rows;
}

// The tapped statistics of a routed prefill layer (mamba-370m, fp16, L 1008: u is (2048, 1008)): the conv alone,
// the conv doing pass 1 (a histogram's range, with the memset of the range words; a proxy's power sums), and the
// one statistics launch that follows (the histogram; the fold of a proxy's partials, which the prefill does
// inside the scan's launch instead), each timed back to back (u and the tap L2-resident, as in the prefill).
// conv + tap + statistic against the conv alone is what the statistic adds when nothing overlaps it.
Json tapped_stats_timing(cc::DeviceStatsOp& stats) {
  using corey::entropy::Estimator;
  const std::int64_t D = 2048, L = 1008, ld = cc::padded_tokens(L);
  const int K = 4;
  const DType t = DType::f16;
  std::vector<std::uint8_t> x(static_cast<std::size_t>(2 * D * ld) * 2);
  std::vector<float> w(static_cast<std::size_t>(D * K)), b(static_cast<std::size_t>(D));
  std::uint64_t state = 12345;
  const auto uniform = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<float>(static_cast<double>(state >> 11) / 9007199254740992.0) * 2.0f - 1.0f;
  };
  for (std::int64_t i = 0; i < 2 * D * ld; ++i) corey::store_from_f32(x.data(), t, i, 2.0f * uniform());
  for (float& v : w) v = 0.5f * uniform();
  for (float& v : b) v = 0.1f * uniform();
  cc::DeviceBuffer d_x(x.size()), d_w(w.size() * 4), d_b(b.size() * 4);
  cc::DeviceBuffer d_state(static_cast<std::size_t>(D * (K - 1)) * 2), d_u(static_cast<std::size_t>(D * ld) * 2);
  cc::DeviceBuffer range(16), hq(8), moments(cc::stats_moment_tap_bytes(cc::conv_silu_moment_parts(D, L)));
  d_x.upload(x.data(), x.size());
  d_w.upload(w.data(), w.size() * 4);
  d_b.upload(b.data(), b.size() * 4);
  d_state.fill_bytes(0);
  float* h_dev = static_cast<float*>(hq.data());
  auto* q_dev = reinterpret_cast<std::int32_t*>(static_cast<char*>(hq.data()) + 4);
  cudaStream_t s = cc::backend_stream(0);
  const auto conv = [&](const cc::StatsTap& tap) {
    if (tap && !tap.wants_moments())
      cc::check(cudaMemsetAsync(range.data(), 0, range.bytes(), s), "cudaMemsetAsync(range)");
    cc::launch_conv_silu(d_x.data(), static_cast<const float*>(d_w.data()), static_cast<const float*>(d_b.data()),
                         d_state.data(), D, L, ld, K, d_u.data(), nullptr, tap, cc::IoType::f16, s);
  };
  auto view = corey::entropy::contiguous_view(d_u.data(), t, 1, D, L);
  view.stride_d = ld;
  const Timing t_conv = measure([&] { conv({}); }, false);
  Json rows = Json::array();
  std::printf("tapped f16 D=%ld L=%ld conv %.1f us\n", static_cast<long>(D), static_cast<long>(L),
              t_conv.batch_s * 1e6);
  struct Est {
    const char* name;
    Estimator e;
    std::int64_t stride;
  };
  for (const Est& e : {Est{"hist", Estimator::hist, 1}, Est{"hist", Estimator::hist, 8},
                       Est{"cheap_proxy", Estimator::cheap_proxy, 1},
                       Est{"variance_proxy", Estimator::variance_proxy, 1},
                       Est{"kurtosis_proxy", Estimator::kurtosis_proxy, 1}}) {
    corey::entropy::Statistic st;
    st.estimator = e.e;
    st.stride = e.stride;
    const corey::entropy::ChunkRule rule;
    cc::StatsTap tap = stats.tap_for(st, cc::conv_silu_blocks(D, L));
    if (tap.wants_moments()) {
      tap.moments = static_cast<cc::stats_device::MomentPartial*>(moments.data());
      tap.parts = cc::conv_silu_moment_parts(D, L);
    } else {
      tap.range = static_cast<unsigned int*>(range.data());
    }
    const Timing t_tap = measure([&] { conv(tap); }, false);
    const auto statistic = [&] { stats.choose_guarded_chunk_tapped(view, st, rule, 0, 0, tap, h_dev, q_dev); };
    const Timing t_side = measure(statistic, false);
    const Timing t_all = measure(
        [&] {
          conv(tap);
          statistic();
        },
        false);
    Json j = Json::object();
    j["dtype"] = "fp16";
    j["d_inner"] = D;
    j["seqlen"] = L;
    j["estimator"] = e.name;
    j["stride"] = e.stride;
    j["conv_time"] = t_conv.json();
    j["conv_with_tap_time"] = t_tap.json();
    j["tapped_statistic_time"] = t_side.json();
    j["conv_tap_statistic_time"] = t_all.json();
    std::printf("tapped f16 %-14s s=%ld  conv+tap %6.1f us (tap %+5.1f us)  statistic %6.1f us  "
                "conv+tap+statistic %6.1f us (%+5.1f us over the conv)\n",
                e.name, static_cast<long>(e.stride), t_tap.batch_s * 1e6, (t_tap.batch_s - t_conv.batch_s) * 1e6,
                t_side.batch_s * 1e6, t_all.batch_s * 1e6, (t_all.batch_s - t_conv.batch_s) * 1e6);
    std::fflush(stdout);
    rows.push_back(j);
  }
  return rows;
}

// `--stats`: the statistics alone (warm: back-to-back, u in L2 as after the conv kernel; cold: L2 flushed) and
// statistics + the routed scan, per estimator, beside the scan alone; then every device value checked against
// the CPU StatsOp on the same u, through views that take each read path of the kernel (contiguous 16-byte
// vectors, misaligned scalar, padded rows with a partial last vector, batch strides, a time stride).
Json section_stats_timing(cc::ScanRunner& runner) {
  using corey::entropy::Estimator;
  Json rows = Json::array();
  Json checks = Json::array();
  bool all_match = true;
  auto stats = cc::make_stats_op(0);
  corey::entropy::CpuStats cpu;
  cc::DeviceBuffer hq(8);
  float* h_dev = static_cast<float*>(hq.data());
  std::int32_t* q_dev = reinterpret_cast<std::int32_t*>(static_cast<char*>(hq.data()) + 4);
  struct Est {
    const char* name;
    Estimator e;
    std::int64_t stride;
  };
  const Est ests[] = {{"hist", Estimator::hist, 1},
                      {"hist", Estimator::hist, 8},
                      {"cheap_proxy", Estimator::cheap_proxy, 1},
                      {"variance_proxy", Estimator::variance_proxy, 1},
                      {"kurtosis_proxy", Estimator::kurtosis_proxy, 1},
                      {"token_hist", Estimator::token_hist, 8}};
  struct S {
    std::int64_t d, l;
    DType t;
  };
  // The last shape is a small routed-model layer (u L2-resident, the launches' fixed cost dominates).
  for (const S& sh : {S{2048, 4096, DType::f32}, S{2048, 4096, DType::bf16}, S{2048, 1024, DType::f16},
                      S{1024, 128, DType::f16}}) {
    Problem pr(1, sh.d, sh.l, sh.t, false, true);
    const auto view = corey::entropy::contiguous_view(pr.u.data(), sh.t, 1, sh.d, sh.l);
    ChunkConfig routed;
    routed.mode = ChunkMode::inkernel;
    routed.chunk_ptr = q_dev;
    const auto routed_plan = runner.plan(pr.p, routed, 0);
    const auto scan_plan = runner.plan(pr.p, cfg(ChunkMode::inkernel, 256), 0);
    const Timing ts = measure([&] { launch_plan(scan_plan, sh.t); }, true);
    const double u_bytes = static_cast<double>(pr.act_bytes());
    for (const Est& e : ests) {
      corey::entropy::Statistic st;
      st.estimator = e.e;
      st.stride = e.stride;
      const corey::entropy::ChunkRule rule;
      const Timing tst = measure([&] { stats->choose_chunk_into(view, st, rule, h_dev, q_dev); }, true);
      const Timing tall = measure(
          [&] {
            stats->choose_chunk_into(view, st, rule, h_dev, q_dev);
            launch_plan(routed_plan, sh.t);
          },
          true);
      // Passes over u: two (min/max, then bins or central moments), one for cheap_proxy. The cold floor is one
      // read of u from HBM (the second pass can hit L2; a time stride of 8 still touches every 32-byte sector).
      const double reads = e.e == Estimator::cheap_proxy ? 1.0 : 2.0;
      const double floor_s = u_bytes / kHbmBps;
      Json j = point_header(pr);
      j["estimator"] = e.name;
      j["stride"] = e.stride;
      j["scan_time"] = ts.json();
      j["stats_time"] = tst.json();
      j["stats_then_scan_time"] = tall.json();
      j["stats_over_scan_pct"] = 100.0 * tst.batch_s / ts.batch_s;
      j["stats_over_scan_cold_pct"] = 100.0 * tst.cold_s / ts.cold_s;
      j["overhead_pct"] = 100.0 * (tall.batch_s / ts.batch_s - 1.0);
      j["overhead_cold_pct"] = 100.0 * (tall.cold_s / ts.cold_s - 1.0);
      j["passes_over_u"] = reads;
      j["u_bytes"] = u_bytes;
      j["hbm_one_read_s"] = floor_s;
      j["cold_pct_of_one_read_floor"] = 100.0 * floor_s / tst.cold_s;
      std::printf("stats %-4s D=%5ld L=%5ld %-14s s=%ld  stats %7.1f us (cold %7.1f, floor %6.1f)  scan %8.1f us  "
                  "stats/scan %5.1f%%  stats+scan %+5.1f%% (cold %+5.1f%%)\n",
                  dtype_name(sh.t).c_str(), static_cast<long>(sh.d), static_cast<long>(sh.l), e.name,
                  static_cast<long>(e.stride), tst.batch_s * 1e6, tst.cold_s * 1e6,
                  floor_s * 1e6, ts.batch_s * 1e6, j["stats_over_scan_pct"].get<double>(),
                  j["overhead_pct"].get<double>(), j["overhead_cold_pct"].get<double>());
      std::fflush(stdout);
      rows.push_back(j);
    }

    // Device vs CPU on views over the same u (host copy); the tolerance of tests/gpu/test_gpu_stats.cpp.
    cc::synchronize();
    std::vector<std::uint8_t> host(pr.act_bytes());
    pr.u.download(host.data(), host.size());
    const std::size_t eb = corey::dtype_bytes(sh.t);
    struct V {
      const char* name;
      std::int64_t offset, b, d, l, sb, sd, sl;
    };
    const std::int64_t D = sh.d, L = sh.l;
    const V views[] = {{"contiguous", 0, 1, D, L, D * L, L, 1},
                       {"misaligned_base", 1, 1, D - 1, L, (D - 1) * L, L, 1},
                       {"padded_rows_partial_vector", 0, 1, D / 2, L - 7, D * L, L, 1},
                       {"batch_strides", 0, 2, D / 4, L - 3, D / 2 * L, L, 1},
                       {"time_stride_2", 0, 1, D, L / 2, D * L, L, 2}};
    for (const V& v : views) {
      for (Estimator e : {Estimator::hist, Estimator::ebits, Estimator::cheap_proxy, Estimator::variance_proxy,
                          Estimator::kurtosis_proxy, Estimator::token_hist}) {
        for (std::int64_t stride : {1, 3}) {
          corey::entropy::Statistic st;
          st.estimator = e;
          st.stride = stride;
          corey::entropy::ActivationView dv{static_cast<const std::uint8_t*>(pr.u.data()) + v.offset * eb, sh.t, v.b,
                                            v.d, v.l, v.sb, v.sd, v.sl};
          corey::entropy::ActivationView hv = dv;
          hv.data = host.data() + v.offset * eb;
          const double g = stats->estimate(dv, st).value;
          const double c = cpu.estimate(hv, st).value;
          const bool ok = std::abs(g - c) <= 1e-9 * std::max(1.0, std::abs(c));
          all_match = all_match && ok;
          Json j = Json::object();
          j["dtype"] = dtype_name(sh.t);
          j["view"] = v.name;
          j["estimator"] = std::string(corey::entropy::to_string(e));
          j["stride"] = stride;
          j["device"] = g;
          j["cpu"] = c;
          j["match"] = ok;
          if (!ok)
            std::printf("stats MISMATCH %s %s %s s=%ld: device %.17g cpu %.17g\n", dtype_name(sh.t).c_str(), v.name,
                        corey::entropy::to_string(e).data(), static_cast<long>(stride), g, c);
          checks.push_back(j);
        }
      }
    }
  }
  std::printf("stats device vs CPU: %zu checks, %s\n", checks.size(), all_match ? "all match" : "MISMATCHES");
  Json out = Json::object();
  out["tapped"] = tapped_stats_timing(*stats);
  out["rows"] = rows;
  out["checks"] = checks;
  out["all_match"] = all_match;
  return out;
}

std::vector<std::string> split_commas(const std::string& list) {
  std::vector<std::string> items;
  std::stringstream ss(list);
  for (std::string item; std::getline(ss, item, ',');) items.push_back(item);
  return items;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_path;
  std::string profile;  // "B,D,L,dtype[,ch[,lanes]]": three inkernel launches of one shape, for ncu
  std::set<std::string> sections = {"grid", "ch", "q", "launch", "table1", "stats"};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out_path = argv[++i];
    } else if (a == "--profile" && i + 1 < argc) {
      profile = argv[++i];
    } else if (a == "--stats") {
      sections = {"stats_timing"};
    } else if (a == "--quick") {
      g_quick = true;
    } else if (a == "--launch-chunks" && i + 1 < argc) {
      g_launch_chunks.clear();
      for (const std::string& q : split_commas(argv[++i])) g_launch_chunks.push_back(std::stoll(q));
    } else if (a == "--sections" && i + 1 < argc) {
      const std::vector<std::string> names = split_commas(argv[++i]);
      sections = std::set<std::string>(names.begin(), names.end());
    } else {
      std::cerr << "usage: corey_bench_scan --out FILE [--sections grid,ch,q,launch,table1,stats] [--quick]\n"
                   "                        [--launch-chunks Q1,Q2,...]   (Q of section launch)\n"
                   "       corey_bench_scan --stats --out FILE   (statistics timing and device-vs-CPU checks)\n"
                   "       corey_bench_scan --profile B,D,L,dtype[,channels_per_block]\n";
      return 2;
    }
  }
  if (cc::device_count() == 0) {
    std::puts("skipped: no CUDA device");
    return 77;
  }
  try {
    cc::set_device(0);
    Json doc = cc::bench_document("corey.kernel-bench/1");
    doc["ceilings"] = {{"hbm_Bps", kHbmBps}, {"mufu_ex2_per_s", kMufuPerS}, {"serial_chain_s_per_token", kChainS}};
    doc["method"] = "CUDA events on one stream; 3 warm-up launches; batch = median over rounds of back-to-back "
                    "launches (>= 30 ms per round, 5 rounds); cold = median of single launches each after an L2 "
                    "flush (memset of 2x L2); section stats times each row and the scan alone interleaved (15 "
                    "rounds, order alternating, cold samples alternating), overhead = ratio of medians - 1 with a "
                    "95% percentile bootstrap CI paired by round";
    doc["quick"] = g_quick;
    cc::ScanRunner runner(0);
    if (!profile.empty()) {
      std::stringstream ss(profile);
      std::string f[6];
      for (int i = 0; i < 6 && std::getline(ss, f[i], ','); ++i) {
      }
      Problem pr(std::stoll(f[0]), std::stoll(f[1]), std::stoll(f[2]), corey::dtype_from_string(f[3]), false, true);
      if (!f[4].empty()) runner.set_channels_per_block(std::stoi(f[4]));
      if (!f[5].empty()) runner.set_lanes(std::stoi(f[5]));
      const auto plan = runner.plan(pr.p, cfg(ChunkMode::inkernel, 256), 0);
      for (int i = 0; i < 3; ++i) launch_plan(plan, pr.dtype);
      cc::synchronize();
      return 0;
    }
    auto run = [&](const std::string& name, Json (*fn)(cc::ScanRunner&)) {
      if (!sections.count(name)) return;
      try {
        doc[name] = fn(runner);
      } catch (const cc::OutOfMemory& e) {
        doc[name] = {{"status", "oom"}, {"reason", e.what()}};
        std::printf("%s: oom: %s\n", name.c_str(), e.what());
      }
      if (!out_path.empty()) std::ofstream(out_path) << doc.dump(1) << "\n";
    };
    run("grid", section_grid);
    run("ch", section_ch);
    run("q", section_q);
    run("launch", section_launch);
    run("table1", section_table1);
    run("stats", section_stats);
    run("stats_timing", section_stats_timing);
    if (!out_path.empty()) std::ofstream(out_path) << doc.dump(1) << "\n";
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
