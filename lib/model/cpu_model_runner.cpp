#include "model/cpu_model_runner.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "entropy/cpu_stats.hpp"

namespace corey::model {
namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMat>;

ConstMap as_matrix(const std::vector<float>& data, std::int64_t rows, std::int64_t cols) {
  return ConstMap(data.data(), rows, cols);
}

// RMSNorm of each row of x (L, M) in fp32: x · rsqrt(mean(x²) + eps) · w (KERNELS.md §3.1 step 3).
RowMat rms_norm(const RowMat& x, const std::vector<float>& w, double eps) {
  RowMat out(x.rows(), x.cols());
  for (Eigen::Index t = 0; t < x.rows(); ++t) {
    float sum = 0.0f;
    for (Eigen::Index m = 0; m < x.cols(); ++m) sum += x(t, m) * x(t, m);
    const float scale = 1.0f / std::sqrt(sum / static_cast<float>(x.cols()) + static_cast<float>(eps));
    for (Eigen::Index m = 0; m < x.cols(); ++m) out(t, m) = w[static_cast<std::size_t>(m)] * (x(t, m) * scale);
  }
  return out;
}

float silu(float v) { return v / (1.0f + std::exp(-v)); }

}  // namespace

bool PrefillResult::all_honoured() const {
  return std::all_of(scans.begin(), scans.end(), [](const LayerScanRecord& s) {
    return s.report.honoured && s.report.q_effective == s.chunk_requested;
  });
}

CpuModelRunner::CpuModelRunner(MambaWeights weights, unsigned threads)
    : weights_(std::move(weights)), scan_(threads) {
  reset();
}

void CpuModelRunner::reset() {
  const MambaConfig& c = weights_.config;
  conv_state_.assign(static_cast<std::size_t>(c.n_layer * c.d_inner * (c.d_conv - 1)), 0.0f);
  ssm_state_.assign(static_cast<std::size_t>(c.n_layer * c.d_inner * c.d_state), 0.0f);
}

PrefillResult CpuModelRunner::prefill(std::span<const std::int32_t> ids, const PrefillOptions& options) {
  if (ids.empty()) throw Error(ErrorKind::usage, "prefill needs at least one token");
  reset();
  PrefillResult result;
  result.logits = forward(ids, options, options.all_logits, &result.scans);
  result.positions = options.all_logits ? static_cast<std::int64_t>(ids.size()) : 1;
  return result;
}

std::vector<float> CpuModelRunner::decode_step(std::int32_t id) {
  const std::int32_t one[] = {id};
  PrefillOptions options;
  options.chunk_mode = scan::ChunkMode::single;
  return forward(one, options, false, nullptr);
}

std::vector<float> CpuModelRunner::forward(std::span<const std::int32_t> ids, const PrefillOptions& options,
                                           bool all_logits, std::vector<LayerScanRecord>* scans) {
  const MambaConfig& c = weights_.config;
  const std::int64_t L = static_cast<std::int64_t>(ids.size());
  const std::int64_t M = c.d_model, D = c.d_inner, N = c.d_state, K = c.d_conv, R = c.dt_rank, V = c.vocab_size;
  const std::int64_t P = R + 2 * N;

  RowMat hidden(L, M);  // the fp32 residual stream, token-major
  for (std::int64_t t = 0; t < L; ++t) {
    const std::int32_t id = ids[static_cast<std::size_t>(t)];
    if (id < 0 || id >= V)
      throw Error(ErrorKind::usage, "token id " + std::to_string(id) + " is outside the vocabulary of " +
                                        std::to_string(V));
    hidden.row(t) = as_matrix(weights_.embeddings, V, M).row(id);
  }

  RowMat u(D, L), y(D, L);
  for (std::int64_t layer = 0; layer < c.n_layer; ++layer) {
    const LayerWeights& w = weights_.layers[static_cast<std::size_t>(layer)];
    const RowMat normed = rms_norm(hidden, w.norm, c.norm_eps);
    // (2D, L): x and z channel-major with time contiguous, the scan's (B, D, L) layout (KERNELS.md §2.1).
    const RowMat xz = as_matrix(w.in_proj, 2 * D, M) * normed.transpose();

    // Causal depthwise conv over [stored K-1 values | x], then SiLU; the stored window is updated.
    float* window = conv_state_.data() + layer * D * (K - 1);
    for (std::int64_t d = 0; d < D; ++d) {
      const float* wk = w.conv_w.data() + d * K;
      const float* xd = xz.data() + d * L;
      float* state = window + d * (K - 1);
      auto x_at = [&](std::int64_t t) { return t >= 0 ? xd[t] : state[K - 1 + t]; };  // t in [-(K-1), L)
      for (std::int64_t t = 0; t < L; ++t) {
        float acc = w.conv_b[static_cast<std::size_t>(d)];
        for (std::int64_t k = 0; k < K; ++k) acc += wk[k] * x_at(t - K + 1 + k);
        u(d, t) = silu(acc);
      }
      for (std::int64_t k = 0; k < K - 1; ++k) state[k] = x_at(L - (K - 1) + k);
    }

    std::int64_t q = options.chunk > 0 ? options.chunk : L;
    std::optional<double> entropy;
    if (options.backend_rule) {
      const BackendChunkRule& rule = *options.backend_rule;
      const entropy::ChunkChoice choice =
          stats_.choose_chunk(entropy::contiguous_view(u.data(), DType::f32, 1, D, L), rule.statistic, rule.rule);
      q = apply_guard(rule, choice.chunk);
      entropy = choice.entropy.value;
    } else if (options.hook) {
      LayerActivation activation;
      activation.layer = layer;
      activation.seqlen = L;
      activation.d_inner = D;
      activation.u = u.data();
      q = options.hook(activation);
      if (q < 1)
        throw Error(ErrorKind::usage, "chunk hook returned Q = " + std::to_string(q) + " for layer " +
                                          std::to_string(layer) + " (need Q >= 1)");
    }

    const RowMat x_dbl = as_matrix(w.x_proj, P, D) * u;                   // (R + 2N, L): dt_low | B | C
    const RowMat dt = as_matrix(w.dt_proj_w, D, R) * x_dbl.topRows(R);   // (D, L), bias added in the scan

    scan::ScanProblem p;
    p.batch = 1;
    p.dim = D;
    p.seqlen = L;
    p.dstate = N;
    p.groups = 1;
    p.io_dtype = DType::f32;
    p.u = u.data();
    p.u_stride = scan::contiguous_bdl(D, L);
    p.delta = dt.data();
    p.delta_stride = scan::contiguous_bdl(D, L);
    p.z = xz.data() + D * L;
    p.z_stride = scan::contiguous_bdl(D, L);
    p.B = x_dbl.data() + R * L;
    p.B_stride = scan::Strides4{P * L, 0, L, 1};
    p.C = x_dbl.data() + (R + N) * L;
    p.C_stride = scan::Strides4{P * L, 0, L, 1};
    p.A = w.A_log.data();
    p.a_form = scan::AForm::a_log;
    p.D_skip = w.D_skip.data();
    p.delta_bias = w.dt_proj_b.data();
    p.delta_softplus = true;
    float* h = ssm_state_.data() + layer * D * N;
    p.h0 = h;
    p.hT = h;
    p.out = y.data();
    p.out_stride = scan::contiguous_bdl(D, L);
    scan::ChunkConfig chunk;
    chunk.mode = options.chunk_mode;
    chunk.chunk = q;
    const scan::ChunkReport report = scan_.run(p, chunk);
    if (scans) scans->push_back(LayerScanRecord{layer, q, entropy, report});

    hidden += (as_matrix(w.out_proj, M, D) * y).transpose();
  }

  const RowMat normed_f = rms_norm(all_logits ? hidden : RowMat(hidden.bottomRows(1)), weights_.norm_f, c.norm_eps);
  const RowMat logits = normed_f * as_matrix(weights_.head(), V, M).transpose();
  return std::vector<float>(logits.data(), logits.data() + logits.size());
}

}  // namespace corey::model
