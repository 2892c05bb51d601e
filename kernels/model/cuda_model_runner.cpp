#include "cuda_model_runner.hpp"

#include <string>

#include "backend_stream.hpp"
#include "core/error.hpp"
#include "cuda_check.hpp"
#include "graph_capture.hpp"
#include "prefill_kernels.hpp"
#include "scan_kernel.hpp"

namespace corey::cuda {

// Written by the device during a prefill, read back once after the last layer.
struct CudaModelRunner::LayerSlots {
  std::int32_t chunks;         // += 1 per scan block per executed chunk
  std::int32_t q_used;         // the Q the scan kernel used
  unsigned long long tokens;   // tokens processed per row
  std::int32_t q_chosen;       // the backend rule's Q (after the guard)
  float entropy;               // the backend rule's statistic
  unsigned int range[3];       // the statistic's range words, filled by the conv (StatsTap)
};

namespace {

constexpr int kStates = kModelStates;
// Pinned ring of token ids: back-to-back enqueues write a fresh slot while earlier copies are in flight; the
// host waits for the stream once per lap, before a slot is reused.
constexpr int kDecodeIdSlots = 256;

std::int64_t bytes_of(std::int64_t elements, std::size_t elem) { return elements * static_cast<std::int64_t>(elem); }

char* at(const DeviceBuffer& buffer, std::int64_t byte_offset) { return static_cast<char*>(buffer.data()) + byte_offset; }

}  // namespace

CudaModelRunner::CudaModelRunner(int device, const model::MambaWeights& weights, DType dtype) : device_(device) {
  const model::MambaConfig& c = weights.config;
  if (c.d_conv < 1 || c.d_conv > kMaxDecodeConv)
    throw_usage_error("CUDA model: d_conv must be in [1, " + std::to_string(kMaxDecodeConv) + "] (the decode kernel's "
                      "conv window), got " + std::to_string(c.d_conv));
  set_device(device);
  stream_ = backend_stream(device);
  weights_ = upload_weights(weights, dtype);
  io_ = io_type(dtype);
  elem_ = dtype_bytes(dtype);
  gemm_ = std::make_unique<Gemm>(stream_);
  scan_ = std::make_unique<ScanRunner>(device);
  // The statistics stream has the highest priority, so its blocks are not queued behind those of the x_proj and
  // dt_proj GEMMs it runs beside (the scan waits for both).
  int least_priority = 0, greatest_priority = 0;
  check(cudaDeviceGetStreamPriorityRange(&least_priority, &greatest_priority), "cudaDeviceGetStreamPriorityRange");
  check(cudaStreamCreateWithPriority(&stats_stream_, cudaStreamNonBlocking, greatest_priority),
        "cudaStreamCreate(statistics)");
  check(cudaEventCreateWithFlags(&u_ready_, cudaEventDisableTiming), "cudaEventCreate(u ready)");
  check(cudaEventCreateWithFlags(&q_ready_, cudaEventDisableTiming), "cudaEventCreate(Q ready)");
  stats_ = make_stats_op(device, stats_stream_);
  // The op zeroes its workspace on the legacy stream, which a non-blocking stream does not wait for.
  check(cudaDeviceSynchronize(), "cudaDeviceSynchronize(statistics workspace)");

  const std::int64_t D = c.d_inner, M = c.d_model, K = c.d_conv;
  conv_state_ = DeviceBuffer(static_cast<std::size_t>(bytes_of(c.n_layer * D * (K - 1), elem_)) + 16);
  ssm_state_ = DeviceBuffer(static_cast<std::size_t>(c.n_layer * D * kStates) * sizeof(float));
  slots_ = DeviceBuffer(static_cast<std::size_t>(c.n_layer) * sizeof(LayerSlots));

  shape_.M = static_cast<int>(M);
  shape_.D = static_cast<int>(D);
  shape_.R = static_cast<int>(c.dt_rank);
  shape_.K = static_cast<int>(K);
  shape_.V = c.vocab_size;
  shape_.eps = static_cast<float>(c.norm_eps);
  shape_.io = io_;
  dec_id_ = DeviceBuffer(sizeof(std::int32_t));
  dec_hidden_ = DeviceBuffer(static_cast<std::size_t>(M) * sizeof(float));
  dec_u_ = DeviceBuffer(static_cast<std::size_t>(bytes_of(D, elem_)));
  dec_z_ = DeviceBuffer(static_cast<std::size_t>(bytes_of(D, elem_)));
  dec_partials_ = DeviceBuffer(decode_partials_bytes(shape_));
  dec_y_ = DeviceBuffer(static_cast<std::size_t>(bytes_of(D, elem_)));
  dec_logits_ = DeviceBuffer(static_cast<std::size_t>(c.vocab_size) * sizeof(float));
  check(cudaMallocHost(&host_id_, kDecodeIdSlots * sizeof(std::int32_t)), "cudaMallocHost(token id)");
  check(cudaMallocHost(&host_logits_, static_cast<std::size_t>(c.vocab_size) * sizeof(float)), "cudaMallocHost(logits)");
  q_dev_ = DeviceBuffer(static_cast<std::size_t>(c.n_layer) * sizeof(std::int32_t));
  check(cudaMallocHost(&host_q_, static_cast<std::size_t>(c.n_layer) * sizeof(std::int32_t)), "cudaMallocHost(chunks)");
  reset();
}

CudaModelRunner::~CudaModelRunner() {
  if (decode_graph_) cudaGraphExecDestroy(decode_graph_);
  drop_prefill_graphs();
  stats_.reset();
  cudaEventDestroy(u_ready_);
  cudaEventDestroy(q_ready_);
  cudaStreamDestroy(stats_stream_);
  cudaFreeHost(host_id_);
  cudaFreeHost(host_logits_);
  cudaFreeHost(host_q_);
}

void CudaModelRunner::reset() {
  set_device(device_);
  check(cudaMemsetAsync(conv_state_.data(), 0, conv_state_.bytes(), stream_), "cudaMemsetAsync(conv state)");
  check(cudaMemsetAsync(ssm_state_.data(), 0, ssm_state_.bytes(), stream_), "cudaMemsetAsync(ssm state)");
}

void CudaModelRunner::check_ids(std::span<const std::int32_t> ids) const {
  const std::int64_t V = weights_.config.vocab_size;
  for (const std::int32_t id : ids) {
    if (id < 0 || id >= V)
      throw Error(ErrorKind::usage,
                  "token id " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(V));
  }
}

bool CudaModelRunner::ensure_prefill_buffers(std::int64_t L, std::int64_t logit_rows, bool u_f32) {
  const model::MambaConfig& c = weights_.config;
  const std::int64_t D = c.d_inner, M = c.d_model, P = c.dt_rank + 2 * kStates;  // x_proj rows, states padded
  auto sized = [](std::int64_t bytes) { return DeviceBuffer(static_cast<std::size_t>(bytes)); };
  bool grown = false;
  if (L > cap_tokens_) {
    const std::int64_t ld = padded_tokens(L);
    ids_ = sized(L * 4);
    // Token-major buffers have ld rows too: the GEMMs run over all ld tokens (see enqueue_prefill).
    hidden_ = sized(ld * M * 4);
    normed_ = sized(bytes_of(ld * M, elem_));
    xz_ = sized(bytes_of(2 * D * ld, elem_));
    u_ = sized(bytes_of(D * ld, elem_));
    x_dbl_ = sized(bytes_of(P * ld, elem_));
    dt_ = sized(bytes_of(D * ld, elem_));
    y_ = sized(bytes_of(D * ld, elem_));
    moment_tap_ = sized(static_cast<std::int64_t>(stats_moment_tap_bytes(conv_silu_moment_parts(D, L))));
    // Zeroed once, so the rows and columns past L hold finite values from the start.
    for (DeviceBuffer* b : {&hidden_, &normed_, &xz_, &u_, &x_dbl_, &dt_, &y_}) b->fill_bytes(0);
    u_f32_ = DeviceBuffer();
    cap_u_f32_ = false;
    cap_tokens_ = L;
    grown = true;
  }
  if (u_f32 && !cap_u_f32_) {
    u_f32_ = sized(cap_tokens_ * D * 4);
    cap_u_f32_ = true;
    grown = true;
  }
  if (logit_rows > cap_logit_rows_) {
    logits_ = sized(logit_rows * c.vocab_size * 4);
    cap_logit_rows_ = logit_rows;
    grown = true;
  }
  return grown;
}

model::PrefillResult CudaModelRunner::prefill(std::span<const std::int32_t> ids, const model::PrefillOptions& options) {
  if (ids.empty()) throw Error(ErrorKind::usage, "prefill needs at least one token");
  check_ids(ids);
  const bool rule = options.backend_rule.has_value();
  if (rule && options.chunk_mode != scan::ChunkMode::inkernel)
    throw_usage_error("CUDA model: a backend chunk rule needs chunk_mode inkernel (the scan reads Q on the device), got " +
                      std::string(scan::to_string(options.chunk_mode)));
  if (rule) {
    // Refused before anything is enqueued rather than at layer 0.
    const entropy::Estimator e = options.backend_rule->statistic.estimator;
    if (e == entropy::Estimator::proto)
      throw_usage_error("CUDA model: statistic '" + std::string(entropy::to_string(e)) +
                        "' has no device kernel; a backend chunk rule needs hist, ebits, token_hist or a proxy");
  }
  set_device(device_);
  const model::MambaConfig& c = weights_.config;
  const std::int64_t L = static_cast<std::int64_t>(ids.size());
  const std::int64_t rows = options.all_logits ? L : 1;
  const bool synced_hook = options.hook && !rule && options.hook_reads_activation;
  // A host hook reads a contiguous fp32 (D, L) u: a copy unless u already is one.
  const bool hook_needs_f32 = synced_hook && (io_ != IoType::f32 || padded_tokens(L) != L);
  if (ensure_prefill_buffers(L, rows, hook_needs_f32)) drop_prefill_graphs();

  PrefillPlan plan;
  plan.L = L;
  plan.rows = rows;
  plan.options = &options;
  plan.q_host.assign(static_cast<std::size_t>(c.n_layer), 0);
  plan.blocks.assign(static_cast<std::size_t>(c.n_layer), 0);
  if (!rule && !synced_hook) {
    // Q decided on the host without the activation (a fixed chunk, or a hook on layer and length): known before
    // anything runs.
    for (std::int64_t layer = 0; layer < c.n_layer; ++layer) {
      std::int64_t q = options.hook ? call_hook(options, layer, L, nullptr) : (options.chunk > 0 ? options.chunk : L);
      if (options.chunk_mode == scan::ChunkMode::single) q = L;
      plan.q_host[static_cast<std::size_t>(layer)] = q;
    }
  }
  // Everything but a hook that needs the activation on the host runs as one CUDA Graph per shape (kernels,
  // GEMMs and the statistics' fork and join are graph nodes: no per-launch host cost, no cross-stream events);
  // the host-decided Qs then reach the scans through device memory, like a backend rule's.
  const bool graphed = !synced_hook && (options.chunk_mode == scan::ChunkMode::inkernel ||
                                        options.chunk_mode == scan::ChunkMode::single);
  plan.q_from_device = graphed && !rule && options.chunk_mode == scan::ChunkMode::inkernel;

  reset();
  check(cudaMemcpyAsync(ids_.data(), ids.data(), ids.size() * sizeof(std::int32_t), cudaMemcpyHostToDevice, stream_),
        "cudaMemcpyAsync(ids)");
  if (plan.q_from_device) {
    // The pinned staging is reused by the next prefill only after this one's read-back has waited for the stream.
    for (std::int64_t layer = 0; layer < c.n_layer; ++layer)
      host_q_[layer] = static_cast<std::int32_t>(plan.q_host[static_cast<std::size_t>(layer)]);
    check(cudaMemcpyAsync(q_dev_.data(), host_q_, static_cast<std::size_t>(c.n_layer) * sizeof(std::int32_t),
                          cudaMemcpyHostToDevice, stream_),
          "cudaMemcpyAsync(layer chunks)");
  }
  if (graphed) {
    check(cudaGraphLaunch(prefill_graph(plan), stream_), "cudaGraphLaunch(prefill)");
  } else {
    enqueue_prefill(plan);
  }
  return read_prefill(plan);
}

std::int64_t CudaModelRunner::call_hook(const model::PrefillOptions& options, std::int64_t layer, std::int64_t L,
                                        const float* u) const {
  model::LayerActivation activation;
  activation.layer = layer;
  activation.seqlen = L;
  activation.d_inner = weights_.config.d_inner;
  activation.u = u;
  activation.on_device = true;
  const std::int64_t q = options.hook(activation);
  if (q < 1)
    throw Error(ErrorKind::usage, "chunk hook returned Q = " + std::to_string(q) + " for layer " +
                                      std::to_string(layer) + " (need Q >= 1)");
  set_device(device_);
  return q;
}

cudaGraphExec_t CudaModelRunner::prefill_graph(PrefillPlan& plan) {
  const model::PrefillOptions& options = *plan.options;
  std::string key = std::to_string(plan.L) + "/" + std::to_string(plan.rows) + "/" +
                    std::string(scan::to_string(options.chunk_mode));
  if (options.backend_rule) {
    const model::BackendChunkRule& r = *options.backend_rule;
    key += "/" + std::string(entropy::to_string(r.statistic.estimator)) + "/" + std::to_string(r.statistic.bins) + "/" +
           std::to_string(static_cast<int>(r.statistic.units)) + "/" + std::to_string(r.statistic.stride) + "/" +
           std::to_string(r.rule.h_ref) + "/" + std::to_string(r.rule.c_min) + "/" + std::to_string(r.rule.c_max) +
           "/" + std::to_string(static_cast<int>(r.rule.rounding)) + "/" + std::to_string(r.guard_fallback) + "/" +
           std::to_string(r.guard_min_delta_buckets) + (statistics_tap_ ? "/tap" : "/two-pass");
  }
  if (auto it = prefill_graphs_.find(key); it != prefill_graphs_.end()) {
    plan.blocks = it->second.blocks;
    return it->second.exec;
  }
  const cudaGraphExec_t exec = capture_graph(stream_, "prefill", [&] { enqueue_prefill(plan); });
  prefill_graphs_.emplace(key, PrefillGraph{exec, plan.blocks});
  return exec;
}

void CudaModelRunner::drop_prefill_graphs() {
  for (auto& [key, g] : prefill_graphs_) cudaGraphExecDestroy(g.exec);
  prefill_graphs_.clear();
}

void CudaModelRunner::enqueue_prefill(PrefillPlan& plan) {
  const model::PrefillOptions& options = *plan.options;
  const bool rule = options.backend_rule.has_value();
  const bool synced_hook = options.hook && !rule && options.hook_reads_activation;
  const model::MambaConfig& c = weights_.config;
  const std::int64_t L = plan.L, rows = plan.rows;
  const std::int64_t M = c.d_model, D = c.d_inner, K = c.d_conv, R = c.dt_rank, V = c.vocab_size;
  const std::int64_t P = R + 2 * kStates;  // x_proj rows, states padded
  const std::int64_t Lp = padded_tokens(L);  // row stride of the channel-major activations
  const bool hook_needs_f32 = synced_hook && (io_ != IoType::f32 || Lp != L);
  const int Li = static_cast<int>(L), Mi = static_cast<int>(M), Di = static_cast<int>(D), Ri = static_cast<int>(R);
  const int Pi = static_cast<int>(P), Lpi = static_cast<int>(Lp);

  check(cudaMemsetAsync(slots_.data(), 0, slots_.bytes(), stream_), "cudaMemsetAsync(layer slots)");
  auto* hidden = static_cast<float*>(hidden_.data());
  launch_embed(static_cast<const std::int32_t*>(ids_.data()), L, weights_.embeddings.data(), M, io_, hidden, stream_);
  // The GEMMs run over all Lp tokens: cuBLAS picks much slower kernels for a token count that is not a multiple of
  // 8 (a 1021-token bf16 prefill took 2.7x the time of a 1024-token one). Every op is independent per token except
  // the conv and the scan, which read tokens < L only, so the padding tokens never reach the real ones; the
  // residual rows past L are zeroed per prefill so the out_proj accumulation there stays bounded.
  if (Lp > L)
    check(cudaMemsetAsync(hidden + L * M, 0, static_cast<std::size_t>((Lp - L) * M) * sizeof(float), stream_),
          "cudaMemsetAsync(residual padding)");

  auto* slots = static_cast<LayerSlots*>(slots_.data());
  for (std::int64_t layer = 0; layer < c.n_layer; ++layer) {
    const DeviceLayerWeights& w = weights_.layers[static_cast<std::size_t>(layer)];
    launch_rms_norm(hidden, L, M, static_cast<const float*>(w.norm.data()), static_cast<float>(c.norm_eps),
                    normed_.data(), io_, stream_);
    // (2D, L) channel-major = in_proj (2D, M) · normedᵀ; in cuBLAS' column-major terms (L, 2D) = normed · Wᵀ.
    gemm_->run(true, false, Lpi, 2 * Di, Mi, normed_.data(), Mi, w.in_proj.data(), Mi, xz_.data(), Lpi, io_, false);
    char* conv_state = at(conv_state_, bytes_of(layer * D * (K - 1), elem_));
    float* u_f32 = hook_needs_f32 ? static_cast<float*>(u_f32_.data()) : nullptr;
    // With a rule the conv also does the statistic's first pass over the u it writes (StatsTap): a histogram's
    // range, so the statistic reads u once and launches once, or a proxy's power sums, so the statistic only
    // folds them, inside the scan's launch.
    LayerSlots* slot = slots + layer;
    StatsTap tap =
        rule && statistics_tap_ ? stats_->tap_for(options.backend_rule->statistic, conv_silu_blocks(D, L)) : StatsTap{};
    if (tap.wants_moments()) {
      tap.moments = static_cast<stats_device::MomentPartial*>(moment_tap_.data());
      tap.parts = conv_silu_moment_parts(D, L);
    } else {
      tap.range = slot->range;  // zeroed with the slots
    }
    launch_conv_silu(xz_.data(), static_cast<const float*>(w.conv_w.data()), static_cast<const float*>(w.conv_b.data()),
                     conv_state, D, L, Lp, static_cast<int>(K), u_.data(), u_f32, tap, io_, stream_);

    std::int64_t q = 0;
    const std::int32_t* q_ptr = nullptr;
    entropy::ActivationView u_view = entropy::contiguous_view(u_.data(), weights_.dtype, 1, D, L);
    u_view.stride_b = D * Lp;
    u_view.stride_d = Lp;
    // The statistic and rule on their own stream, beside the conv state update and the x_proj and dt_proj GEMMs,
    // which leave most SMs idle; only the scan waits for Q. u and the tap are rewritten only by the next layer's
    // conv, which follows this layer's scan and so the statistic.
    const auto statistic_beside = [&] {
      const model::BackendChunkRule& r = *options.backend_rule;
      check(cudaEventRecord(u_ready_, stream_), "cudaEventRecord(u ready)");
      check(cudaStreamWaitEvent(stats_stream_, u_ready_, 0), "cudaStreamWaitEvent(u ready)");
      if (tap) {
        stats_->choose_guarded_chunk_tapped(u_view, r.statistic, r.rule, r.guard_fallback, r.guard_min_delta_buckets,
                                            tap, &slot->entropy, &slot->q_chosen);
      } else {
        stats_->choose_guarded_chunk_into(u_view, r.statistic, r.rule, r.guard_fallback, r.guard_min_delta_buckets,
                                          &slot->entropy, &slot->q_chosen);
      }
      check(cudaEventRecord(q_ready_, stats_stream_), "cudaEventRecord(Q ready)");
    };
    if (rule) {
      if (!tap.wants_moments()) statistic_beside();
      q_ptr = &slot->q_chosen;
      q = 0;
    }
    launch_conv_state_update(xz_.data(), conv_state, D, L, Lp, static_cast<int>(K), io_, stream_);
    if (synced_hook) {
      // A hook that reads u does so on the host side of the API: the stream must be drained first (the paper's
      // per-layer host synchronisation).
      check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize(chunk hook)");
      q = call_hook(options, layer, L, hook_needs_f32 ? u_f32 : static_cast<const float*>(u_.data()));
    } else if (!rule) {
      q = plan.q_host[static_cast<std::size_t>(layer)];
      if (plan.q_from_device) q_ptr = static_cast<const std::int32_t*>(q_dev_.data()) + layer;
    }
    if (options.chunk_mode == scan::ChunkMode::single) {
      q = L;
      q_ptr = nullptr;
    }
    plan.q_host[static_cast<std::size_t>(layer)] = q;

    // (P, L) = x_proj (P, D) · u (D, L); dt (D, L) = dt_proj (D, R) · dt_low (R, L): column-major (L, ·) = (L, ·)·(·, ·).
    gemm_->run(false, false, Lpi, Pi, Di, u_.data(), Lpi, w.x_proj.data(), Di, x_dbl_.data(), Lpi, io_, false);
    gemm_->run(false, false, Lpi, Di, Ri, x_dbl_.data(), Lpi, w.dt_proj_w.data(), Ri, dt_.data(), Lpi, io_, false);

    scan::ScanProblem p;
    p.batch = 1;
    p.dim = D;
    p.seqlen = L;
    p.dstate = kStates;
    p.groups = 1;
    p.io_dtype = weights_.dtype;
    p.u = u_.data();
    const scan::Strides3 rows{D * Lp, Lp, 1};
    p.u_stride = rows;
    p.delta = dt_.data();
    p.delta_stride = rows;
    p.z = at(xz_, bytes_of(D * Lp, elem_));
    p.z_stride = rows;
    p.B = at(x_dbl_, bytes_of(R * Lp, elem_));
    p.B_stride = scan::Strides4{P * Lp, 0, Lp, 1};
    p.C = at(x_dbl_, bytes_of((R + kStates) * Lp, elem_));
    p.C_stride = scan::Strides4{P * Lp, 0, Lp, 1};
    p.A = static_cast<const float*>(w.A_log.data());
    p.a_form = scan::AForm::a_log;
    p.D_skip = static_cast<const float*>(w.D_skip.data());
    p.delta_bias = static_cast<const float*>(w.dt_proj_b.data());
    p.delta_softplus = true;
    p.h0 = nullptr;  // prefill starts from the zero state
    p.hT = static_cast<float*>(ssm_state_.data()) + layer * D * kStates;
    p.out = y_.data();
    p.out_stride = rows;
    scan::ChunkConfig chunk;
    chunk.mode = options.chunk_mode;
    chunk.chunk = q;
    chunk.chunk_ptr = q_ptr;
    if (const std::string why = scan_->unsupported_reason(p, chunk); !why.empty())
      throw_usage_error("CUDA model: layer " + std::to_string(layer) + " scan: " + why);
    std::vector<ScanParams> launches = scan_->plan(p, chunk, q);
    prepare_seq_scan(io_, false, launches.front().lanes);
    for (ScanParams& k : launches) {
      k.chunk_counter = &slot->chunks;
      if (k.q_used) k.q_used = &slot->q_used;
      k.tokens_counter = &slot->tokens;
    }
    // A proxy's statistic is a fold of the conv's partials: one block of the scan's own launch does it on an SM
    // the scan leaves idle, so the layer runs no statistics launch, fork or join. Q changes nothing an inkernel
    // scan computes; the statistic block reports it and the chunks by it (launch_seq_scan_routed).
    bool routed = false;
    if (tap.wants_moments()) {
      const model::BackendChunkRule& r = *options.backend_rule;
      const RoutedStatistic st = stats_->routed_statistic_tapped(u_view, r.statistic, r.rule, r.guard_fallback,
                                                                 r.guard_min_delta_buckets, tap, &slot->entropy,
                                                                 &slot->q_chosen);
      routed = launches.size() == 1 && tapped_scan_fits(io_, launches.front());
      if (routed) {
        launch_seq_scan_routed(io_, launches.front(), st, stream_);
      } else {
        statistic_beside();
      }
    }
    if (!routed) {
      if (rule) check(cudaStreamWaitEvent(stream_, q_ready_, 0), "cudaStreamWaitEvent(Q ready)");
      for (const ScanParams& k : launches) launch_seq_scan(io_, k, stream_);
    }
    plan.blocks[static_cast<std::size_t>(layer)] = D / launches.front().channels_per_block;

    // hidden (L, M) += y · out_projᵀ; column-major (M, L) += out_proj · y.
    gemm_->run(true, true, Mi, Lpi, Di, w.out_proj.data(), Di, y_.data(), Lpi, hidden, Mi, io_, true, 1.0f);
  }

  const float* last = hidden + (options.all_logits ? 0 : (L - 1) * M);
  launch_rms_norm(last, rows, M, static_cast<const float*>(weights_.norm_f.data()), static_cast<float>(c.norm_eps),
                  normed_.data(), io_, stream_);
  // logits (rows, V) = normed · headᵀ; column-major (V, rows) = head · normedᵀ.
  gemm_->run(true, false, static_cast<int>(V), static_cast<int>(rows), Mi, weights_.head(), Mi, normed_.data(), Mi,
             logits_.data(), static_cast<int>(V), io_, true);
}

model::PrefillResult CudaModelRunner::read_prefill(const PrefillPlan& plan) {
  const model::MambaConfig& c = weights_.config;
  const model::PrefillOptions& options = *plan.options;
  const bool rule = options.backend_rule.has_value();
  const std::int64_t L = plan.L, rows = plan.rows, V = c.vocab_size;
  model::PrefillResult result;
  result.positions = rows;
  result.logits.resize(static_cast<std::size_t>(rows * V));
  std::vector<LayerSlots> host_slots(static_cast<std::size_t>(c.n_layer));
  check(cudaMemcpyAsync(host_slots.data(), slots_.data(), slots_.bytes(), cudaMemcpyDeviceToHost, stream_),
        "cudaMemcpyAsync(layer slots)");
  check(cudaMemcpyAsync(result.logits.data(), logits_.data(), result.logits.size() * sizeof(float),
                        cudaMemcpyDeviceToHost, stream_),
        "cudaMemcpyAsync(logits)");
  check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize(prefill)");

  for (std::int64_t layer = 0; layer < c.n_layer; ++layer) {
    const LayerSlots& s = host_slots[static_cast<std::size_t>(layer)];
    const std::int64_t b = plan.blocks[static_cast<std::size_t>(layer)];
    model::LayerScanRecord rec;
    rec.layer = layer;
    rec.chunk_requested = rule ? s.q_chosen : plan.q_host[static_cast<std::size_t>(layer)];
    if (rule) rec.entropy = static_cast<double>(s.entropy);
    scan::ChunkReport& r = rec.report;
    r.impl = "seq";
    r.mode = options.chunk_mode;
    r.q_requested = rec.chunk_requested;
    r.q_effective = s.q_used;
    r.chunks_expected = s.q_used > 0 ? scan::chunk_count(L, s.q_used) : 0;
    r.chunks_executed = b > 0 && s.chunks % b == 0 ? s.chunks / b : -1;
    r.tokens = static_cast<std::int64_t>(s.tokens);
    r.recurrence_preserving = options.chunk_mode != scan::ChunkMode::reset;
    r.bitwise_chunk_invariant = options.chunk_mode != scan::ChunkMode::reset;
    r.honoured = r.q_effective == r.q_requested && r.chunks_executed == r.chunks_expected && r.tokens == L;
    result.scans.push_back(std::move(rec));
  }
  return result;
}

void CudaModelRunner::capture_decode_graph() {
  const model::MambaConfig& c = weights_.config;
  const std::int64_t D = c.d_inner, K = c.d_conv;
  DecodeScratch x;
  x.hidden = static_cast<float*>(dec_hidden_.data());
  x.u = dec_u_.data();
  x.z = dec_z_.data();
  x.partials = static_cast<float*>(dec_partials_.data());
  x.y = dec_y_.data();
  decode_graph_ = capture_graph(stream_, "decode", [&] {
    launch_decode_embed(static_cast<const std::int32_t*>(dec_id_.data()), weights_.embeddings.data(), shape_, x.hidden,
                        stream_);
    for (std::int64_t layer = 0; layer < c.n_layer; ++layer) {
      const DeviceLayerWeights& w = weights_.layers[static_cast<std::size_t>(layer)];
      DecodeLayer l;
      l.norm = static_cast<const float*>(w.norm.data());
      l.in_proj = w.in_proj.data();
      l.conv_w = static_cast<const float*>(w.conv_w.data());
      l.conv_b = static_cast<const float*>(w.conv_b.data());
      l.x_proj_t = w.x_proj_t.data();
      l.dt_proj_w = w.dt_proj_w.data();
      l.dt_proj_b = static_cast<const float*>(w.dt_proj_b.data());
      l.A_log = static_cast<const float*>(w.A_log.data());
      l.D_skip = static_cast<const float*>(w.D_skip.data());
      l.out_proj = w.out_proj.data();
      l.conv_state = at(conv_state_, bytes_of(layer * D * (K - 1), elem_));
      l.ssm_state = static_cast<float*>(ssm_state_.data()) + layer * D * kStates;
      launch_decode_layer(l, shape_, x, stream_);
    }
    launch_decode_head(x.hidden, static_cast<const float*>(weights_.norm_f.data()), weights_.head(), shape_,
                       static_cast<float*>(dec_logits_.data()), stream_);
  });
}

void CudaModelRunner::enqueue_decode(std::int32_t id) {
  const std::int32_t one[] = {id};
  check_ids(one);
  set_device(device_);
  if (!decode_graph_) capture_decode_graph();
  static_assert(kDecodeIdSlots > 0);
  if (next_id_slot_ > 0 && next_id_slot_ % kDecodeIdSlots == 0)
    check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize(token id ring)");
  std::int32_t* slot = host_id_ + (next_id_slot_++ % kDecodeIdSlots);
  *slot = id;
  check(cudaMemcpyAsync(dec_id_.data(), slot, sizeof(std::int32_t), cudaMemcpyHostToDevice, stream_),
        "cudaMemcpyAsync(token id)");
  check(cudaGraphLaunch(decode_graph_, stream_), "cudaGraphLaunch(decode)");
}

std::vector<float> CudaModelRunner::read_decode_logits() {
  const std::size_t V = static_cast<std::size_t>(weights_.config.vocab_size);
  check(cudaMemcpyAsync(host_logits_, dec_logits_.data(), V * sizeof(float), cudaMemcpyDeviceToHost, stream_),
        "cudaMemcpyAsync(decode logits)");
  check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize(decode)");
  return std::vector<float>(host_logits_, host_logits_ + V);
}

std::vector<float> CudaModelRunner::decode_step(std::int32_t id) {
  enqueue_decode(id);
  return read_decode_logits();
}

std::unique_ptr<model::ModelRunner> make_model_runner(int device, const model::MambaWeights& weights, DType dtype) {
  return std::make_unique<CudaModelRunner>(device, weights, dtype);
}

}  // namespace corey::cuda
