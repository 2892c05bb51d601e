#include "scan/cpu_scan.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace corey::scan {
namespace {

constexpr int kMaxState = 256;
constexpr float kLog2e = 1.4426950408889634f;

template <DType IO>
struct Io;
template <>
struct Io<DType::f32> {
  using T = float;
  static float load(T v) { return v; }
  static T store(float v) { return v; }
};
template <>
struct Io<DType::f16> {
  using T = std::uint16_t;
  static float load(T v) { return fp16_to_fp32(v); }
  static T store(float v) { return fp32_to_fp16(v); }
};
template <>
struct Io<DType::bf16> {
  using T = std::uint16_t;
  static float load(T v) { return bf16_to_fp32(v); }
  static T store(float v) { return fp32_to_bf16(v); }
};

// Everything one (b, d) row needs, resolved once per call.
template <DType IO>
struct Row {
  using T = typename Io<IO>::T;
  const T* u;
  std::int64_t ul;
  const T* dt;
  std::int64_t dtl;
  const T* z;
  std::int64_t zl;
  const T* B;
  std::int64_t Bn, Bl;
  const T* C;
  std::int64_t Cn, Cl;
  T* out;
  std::int64_t ol;
  float bias;
  float d_skip;
  const float* A2;
};

std::int64_t next_pow2(std::int64_t n) {
  std::int64_t p = 1;
  while (p < n) p *= 2;
  return p;
}

// Steps [t0, t1) of one row, state h (N fp32 values) updated in place. The order of every operation is the
// bitwise contract of KERNELS.md §1.3; do not reorder, contract or vectorise across time.
template <DType IO>
void scan_steps(const Row<IO>& r, int n_state, int n_pad, bool softplus, std::int64_t t0, std::int64_t t1, float* h) {
  using io = Io<IO>;
  std::array<float, kMaxState> p{};
  for (std::int64_t t = t0; t < t1; ++t) {
    const float u = io::load(r.u[t * r.ul]);
    const float x = io::load(r.dt[t * r.dtl]) + r.bias;
    const float delta = softplus ? (x <= 20.0f ? std::log1p(std::exp(x)) : x) : x;
    const float du = delta * u;
    for (int n = 0; n < n_state; ++n) {
      const float scaled = delta * r.A2[n];
      const float dA = std::exp2(scaled);
      const float bu = du * io::load(r.B[n * r.Bn + t * r.Bl]);
      h[n] = std::fma(dA, h[n], bu);
      p[n] = h[n] * io::load(r.C[n * r.Cn + t * r.Cl]);
    }
    // The xor-butterfly of a warp shuffle reduction with offsets N/2 … 1 (padding lanes hold zero).
    for (int n = n_state; n < n_pad; ++n) p[n] = 0.0f;
    for (int offset = n_pad / 2; offset >= 1; offset /= 2) {
      for (int i = 0; i < offset; ++i) p[i] = p[i] + p[i + offset];
    }
    float y = std::fma(r.d_skip, u, p[0]);
    if (r.z != nullptr) {
      const float z = io::load(r.z[t * r.zl]);
      const float g = z / (1.0f + std::exp(-z));
      y = y * g;
    }
    r.out[t * r.ol] = io::store(y);
  }
}

struct Plan {
  std::int64_t q_requested = 0;
  std::int64_t q = 0;       // effective chunk (segment) length
  std::int64_t chunks = 0;  // expected chunks (segments)
};

Plan plan_chunks(const ScanProblem& p, const ChunkConfig& c, unsigned threads) {
  Plan plan;
  std::int64_t q = c.chunk_ptr != nullptr ? *c.chunk_ptr : c.chunk;
  if (c.mode == ChunkMode::single) {
    plan.q_requested = p.seqlen;
    plan.q = p.seqlen;
  } else if (c.mode == ChunkMode::segmented && q <= 0) {
    std::int64_t segments = c.segments;
    if (segments <= 0) {
      // Enough (row, segment) items to keep every thread busy twice over, within the 2–8 of KERNELS.md §7.2.
      const std::int64_t rows = p.batch * p.dim;
      segments = std::clamp<std::int64_t>((2 * threads + rows - 1) / rows, 2, 8);
    }
    segments = std::min(segments, p.seqlen);
    plan.q_requested = (p.seqlen + segments - 1) / segments;
    plan.q = plan.q_requested;
  } else {
    plan.q_requested = q;
    plan.q = q;
  }
  plan.chunks = chunk_count(p.seqlen, plan.q);
  return plan;
}

template <DType IO>
class Runner {
 public:
  Runner(const ScanProblem& p, ThreadPool& pool) : p_(p), pool_(pool), a2_(p.dim * p.dstate) {
    const auto n = static_cast<int>(p.dstate);
    for (std::int64_t d = 0; d < p.dim; ++d) {
      for (int i = 0; i < n; ++i) {
        const float a = p.A[d * n + i];
        const float A = p.a_form == AForm::a_log ? -std::exp(a) : a;
        a2_[d * n + i] = A * kLog2e;
      }
    }
    n_state_ = n;
    n_pad_ = static_cast<int>(next_pow2(n));
  }

  Row<IO> row(std::int64_t r) const {
    using T = typename Io<IO>::T;
    const std::int64_t b = r / p_.dim;
    const std::int64_t d = r % p_.dim;
    const std::int64_t g = d / (p_.dim / p_.groups);
    Row<IO> row{};
    row.u = static_cast<const T*>(p_.u) + b * p_.u_stride.b + d * p_.u_stride.d;
    row.ul = p_.u_stride.l;
    row.dt = static_cast<const T*>(p_.delta) + b * p_.delta_stride.b + d * p_.delta_stride.d;
    row.dtl = p_.delta_stride.l;
    row.z = p_.z ? static_cast<const T*>(p_.z) + b * p_.z_stride.b + d * p_.z_stride.d : nullptr;
    row.zl = p_.z_stride.l;
    row.B = static_cast<const T*>(p_.B) + b * p_.B_stride.b + g * p_.B_stride.g;
    row.Bn = p_.B_stride.n;
    row.Bl = p_.B_stride.l;
    row.C = static_cast<const T*>(p_.C) + b * p_.C_stride.b + g * p_.C_stride.g;
    row.Cn = p_.C_stride.n;
    row.Cl = p_.C_stride.l;
    row.out = static_cast<T*>(p_.out) + b * p_.out_stride.b + d * p_.out_stride.d;
    row.ol = p_.out_stride.l;
    row.bias = p_.delta_bias ? p_.delta_bias[d] : 0.0f;
    row.d_skip = p_.D_skip ? p_.D_skip[d] : 0.0f;
    row.A2 = a2_.data() + d * n_state_;
    return row;
  }

  void steps(const Row<IO>& r, std::int64_t t0, std::int64_t t1, float* h) const {
    scan_steps<IO>(r, n_state_, n_pad_, p_.delta_softplus, t0, t1, h);
  }

  void load_h0(std::int64_t r, float* h) const {
    for (int n = 0; n < n_state_; ++n) h[n] = p_.h0 ? p_.h0[r * n_state_ + n] : 0.0f;
  }

  void checkpoint(std::int64_t r, std::int64_t k, std::int64_t chunks, const float* h) const {
    if (!p_.checkpoints) return;
    std::copy(h, h + n_state_, p_.checkpoints + (r * chunks + k) * n_state_);
  }

  // inkernel and single: one pass per row, the state stays in a local array across chunk boundaries.
  void run_inkernel(const Plan& plan, std::atomic<std::int64_t>& chunks_done, std::atomic<std::int64_t>& tokens) {
    pool_.parallel_for(rows(), [&](std::int64_t begin, std::int64_t end) {
      std::array<float, kMaxState> h{};
      std::int64_t my_chunks = 0, my_tokens = 0;
      for (std::int64_t r = begin; r < end; ++r) {
        const Row<IO> row_io = row(r);
        load_h0(r, h.data());
        for (std::int64_t k = 0; k < plan.chunks; ++k) {
          const std::int64_t t0 = k * plan.q;
          const std::int64_t t1 = std::min(p_.seqlen, t0 + plan.q);
          steps(row_io, t0, t1, h.data());
          checkpoint(r, k, plan.chunks, h.data());
          ++my_chunks;
          my_tokens += t1 - t0;
        }
        if (p_.hT) std::copy(h.begin(), h.begin() + n_state_, p_.hT + r * n_state_);
      }
      chunks_done += my_chunks;
      tokens += my_tokens;
    });
  }

  // launch and reset: one parallel pass per chunk; the fp32 state goes through a buffer between passes
  // (reset zeroes it instead, which is the paper's wrong-by-design W1 setup).
  void run_launches(const Plan& plan, bool reset, std::atomic<std::int64_t>& chunks_done,
                    std::atomic<std::int64_t>& tokens) {
    std::vector<float> state(static_cast<std::size_t>(rows() * n_state_));
    for (std::int64_t r = 0; r < rows(); ++r) load_h0(r, state.data() + r * n_state_);
    for (std::int64_t k = 0; k < plan.chunks; ++k) {
      const std::int64_t t0 = k * plan.q;
      const std::int64_t t1 = std::min(p_.seqlen, t0 + plan.q);
      if (reset && k > 0) std::fill(state.begin(), state.end(), 0.0f);
      pool_.parallel_for(rows(), [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t r = begin; r < end; ++r) {
          float* h = state.data() + r * n_state_;
          steps(row(r), t0, t1, h);
          checkpoint(r, k, plan.chunks, h);
        }
        chunks_done += end - begin;
        tokens += (end - begin) * (t1 - t0);
      });
    }
    if (p_.hT) std::copy(state.begin(), state.end(), p_.hT);
  }

  // segmented: pass 1 scans every segment from zero and keeps (Π dA, h_local) per state; a sequential
  // combine gives each segment its true initial state; pass 2 rescans each segment from it.
  void run_segmented(const Plan& plan, std::atomic<std::int64_t>& chunks_done, std::atomic<std::int64_t>& tokens) {
    const std::int64_t S = plan.chunks;
    const std::int64_t items = rows() * S;
    const auto N = static_cast<std::int64_t>(n_state_);
    std::vector<float> prod(static_cast<std::size_t>(items * N));
    std::vector<float> local(static_cast<std::size_t>(items * N));
    pool_.parallel_for(items, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t item = begin; item < end; ++item) {
        const std::int64_t r = item / S;
        const std::int64_t s = item % S;
        if (s == S - 1) continue;  // the last segment's aggregate feeds nothing
        segment_aggregate(row(r), s * plan.q, std::min(p_.seqlen, (s + 1) * plan.q), prod.data() + item * N,
                          local.data() + item * N);
      }
    });
    std::vector<float> start(static_cast<std::size_t>(items * N));
    pool_.parallel_for(rows(), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t r = begin; r < end; ++r) {
        float* h = start.data() + r * S * N;
        load_h0(r, h);
        for (std::int64_t s = 1; s < S; ++s) {
          const std::int64_t prev = r * S + s - 1;
          for (std::int64_t n = 0; n < N; ++n)
            h[s * N + n] = std::fma(prod[prev * N + n], h[(s - 1) * N + n], local[prev * N + n]);
        }
      }
    });
    pool_.parallel_for(items, [&](std::int64_t begin, std::int64_t end) {
      std::array<float, kMaxState> h{};
      std::int64_t my_tokens = 0;
      for (std::int64_t item = begin; item < end; ++item) {
        const std::int64_t r = item / S;
        const std::int64_t s = item % S;
        const std::int64_t t0 = s * plan.q;
        const std::int64_t t1 = std::min(p_.seqlen, t0 + plan.q);
        std::copy(start.begin() + item * N, start.begin() + (item + 1) * N, h.begin());
        steps(row(r), t0, t1, h.data());
        checkpoint(r, s, S, h.data());
        if (s == S - 1 && p_.hT) std::copy(h.begin(), h.begin() + N, p_.hT + r * N);
        my_tokens += t1 - t0;
      }
      chunks_done += end - begin;
      tokens += my_tokens;
    });
  }

  std::int64_t rows() const { return p_.batch * p_.dim; }

 private:
  // Π dA and the state reached from zero over [t0, t1), same per-step arithmetic as scan_steps.
  void segment_aggregate(const Row<IO>& r, std::int64_t t0, std::int64_t t1, float* prod, float* h) const {
    using io = Io<IO>;
    for (int n = 0; n < n_state_; ++n) {
      prod[n] = 1.0f;
      h[n] = 0.0f;
    }
    for (std::int64_t t = t0; t < t1; ++t) {
      const float u = io::load(r.u[t * r.ul]);
      const float x = io::load(r.dt[t * r.dtl]) + r.bias;
      const float delta = p_.delta_softplus ? (x <= 20.0f ? std::log1p(std::exp(x)) : x) : x;
      const float du = delta * u;
      for (int n = 0; n < n_state_; ++n) {
        const float scaled = delta * r.A2[n];
        const float dA = std::exp2(scaled);
        const float bu = du * io::load(r.B[n * r.Bn + t * r.Bl]);
        h[n] = std::fma(dA, h[n], bu);
        prod[n] = prod[n] * dA;
      }
    }
  }

  const ScanProblem& p_;
  ThreadPool& pool_;
  std::vector<float> a2_;
  int n_state_ = 0;
  int n_pad_ = 1;
};

template <DType IO>
ChunkReport run_typed(const ScanProblem& p, const ChunkConfig& c, const Plan& plan, ThreadPool& pool) {
  Runner<IO> runner(p, pool);
  std::atomic<std::int64_t> row_chunks{0};
  std::atomic<std::int64_t> row_tokens{0};
  switch (c.mode) {
    case ChunkMode::single:
    case ChunkMode::inkernel:
      runner.run_inkernel(plan, row_chunks, row_tokens);
      break;
    case ChunkMode::launch:
      runner.run_launches(plan, false, row_chunks, row_tokens);
      break;
    case ChunkMode::reset:
      runner.run_launches(plan, true, row_chunks, row_tokens);
      break;
    case ChunkMode::segmented:
      runner.run_segmented(plan, row_chunks, row_tokens);
      break;
  }
  ChunkReport report;
  report.impl = "cpu";
  report.mode = c.mode;
  report.q_requested = plan.q_requested;
  report.q_effective = plan.q;
  report.chunks_expected = plan.chunks;
  const std::int64_t rows = runner.rows();
  report.chunks_executed = row_chunks.load() % rows == 0 ? row_chunks.load() / rows : -1;
  report.tokens = row_tokens.load() % rows == 0 ? row_tokens.load() / rows : -1;
  report.recurrence_preserving = c.mode != ChunkMode::reset;
  report.bitwise_chunk_invariant = c.mode != ChunkMode::reset && c.mode != ChunkMode::segmented;
  report.honoured = report.q_effective == report.q_requested && report.chunks_executed == report.chunks_expected &&
                    report.tokens == p.seqlen;
  return report;
}

}  // namespace

CpuScan::CpuScan(unsigned threads) : pool_(threads) {}

std::string CpuScan::unsupported_reason(const ScanProblem& problem, const ChunkConfig& chunk) const {
  if (problem.io_dtype == DType::f64) return "the CPU scan takes fp32, fp16 or bf16 I/O";
  if (chunk.mode == ChunkMode::single || chunk.mode == ChunkMode::segmented) return "";
  const std::int64_t q = chunk.chunk_ptr != nullptr ? *chunk.chunk_ptr : chunk.chunk;
  if (q <= 0) return "chunk mode " + std::string(to_string(chunk.mode)) + " needs a chunk size >= 1";
  return "";
}

ChunkReport CpuScan::run(const ScanProblem& problem, const ChunkConfig& chunk) {
  validate(problem);
  if (const std::string reason = unsupported_reason(problem, chunk); !reason.empty()) throw_usage_error(reason);
  const Plan plan = plan_chunks(problem, chunk, pool_.size());
  switch (problem.io_dtype) {
    case DType::f32:
      return run_typed<DType::f32>(problem, chunk, plan, pool_);
    case DType::f16:
      return run_typed<DType::f16>(problem, chunk, plan, pool_);
    case DType::bf16:
      return run_typed<DType::bf16>(problem, chunk, plan, pool_);
    case DType::f64:
      break;
  }
  throw_usage_error("the CPU scan takes fp32, fp16 or bf16 I/O");
}

}  // namespace corey::scan
