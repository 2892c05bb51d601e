// ScanOp and StatsOp on top of the raw kernels (the interfaces of lib/scan and lib/entropy).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "backend_stream.hpp"
#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "entropy/cpu_stats.hpp"
#include "scan_runner.hpp"
#include "stats_kernel.hpp"

namespace corey::cuda {
namespace {

class CudaScanOp final : public DeviceScanOp {
 public:
  explicit CudaScanOp(int device) : runner_(device) {}
  std::string_view impl() const override { return "seq"; }
  std::string unsupported_reason(const scan::ScanProblem& problem, const scan::ChunkConfig& chunk) const override {
    return runner_.unsupported_reason(problem, chunk);
  }
  scan::ChunkReport run(const scan::ScanProblem& problem, const scan::ChunkConfig& chunk) override {
    runner_.enqueue(problem, chunk);
    return runner_.collect();
  }
  double last_kernel_time_s() const override { return runner_.last_kernel_time_s(); }
  void set_launch_graph(bool enabled) override { runner_.set_launch_graph(enabled); }
  void set_channels_per_block(int channels) override { runner_.set_channels_per_block(channels); }

 private:
  ScanRunner runner_;
};

constexpr int kMaxBins = 8192;
// Histogram counters: 32 spread copies of up to 1024 bins (fewer copies of more bins).
constexpr int kHistCounters = 32 * 1024;
// token_hist keeps one double per sampled token on the device (8 MiB): batch · ceil(seqlen / stride) ≤ 2^20,
// e.g. a 1M-token prompt at stride 1 or 8M at stride 8.
constexpr std::int64_t kMaxTokenHistTokens = std::int64_t{1} << 20;

StatKind stat_kind(entropy::Estimator e) {
  switch (e) {
    case entropy::Estimator::hist: return StatKind::hist;
    case entropy::Estimator::ebits: return StatKind::ebits;
    case entropy::Estimator::cheap_proxy: return StatKind::cheap_proxy;
    case entropy::Estimator::variance_proxy: return StatKind::variance_proxy;
    case entropy::Estimator::kurtosis_proxy: return StatKind::kurtosis_proxy;
    case entropy::Estimator::token_hist: return StatKind::token_hist;
    case entropy::Estimator::proto: break;
  }
  throw_usage_error("statistic '" + std::string(entropy::to_string(e)) +
                    "' has no device kernel, so the host-free path (backend chunk rule, device_* rows) needs hist, "
                    "ebits, token_hist or a proxy");
}

IoType io_of(DType dtype) {
  if (dtype == DType::f32) return IoType::f32;
  if (dtype == DType::f16) return IoType::f16;
  if (dtype == DType::bf16) return IoType::bf16;
  throw_usage_error("statistic: the CUDA backend reads fp32, fp16 or bf16 tensors");
}

class CudaStatsOp final : public DeviceStatsOp {
 public:
  CudaStatsOp(int device, cudaStream_t stream) : device_(device) {
    set_device(device);
    stream_ = stream ? stream : backend_stream(device);
    ws_.blocks = stats_grid_blocks();
    partials_ = DeviceBuffer(stats_partials_bytes(ws_.blocks));
    hist_ = DeviceBuffer(kHistCounters * sizeof(unsigned long long));
    token_h_ = DeviceBuffer(static_cast<std::size_t>(kMaxTokenHistTokens) * sizeof(double));
    // Tickets (2 × u32), result (3 × f64), scratch H (f32) and Q (i32), the routed scan's barrier words (3 × u32).
    misc_ = DeviceBuffer(64);
    hist_.fill_bytes(0);
    misc_.fill_bytes(0);
    ws_.partials = partials_.data();
    ws_.hist = static_cast<unsigned long long*>(hist_.data());
    ws_.hist_counters = kHistCounters;
    ws_.token_h = static_cast<double*>(token_h_.data());
    ws_.token_slots = kMaxTokenHistTokens;
    cluster_limit_ = stats_cluster_max_samples();
    ws_.cluster_max_samples = cluster_limit_;
    ws_.ticket = static_cast<unsigned int*>(misc_.data());
    ws_.result = reinterpret_cast<double*>(static_cast<char*>(misc_.data()) + 8);
    scratch_h_ = reinterpret_cast<float*>(static_cast<char*>(misc_.data()) + 32);
    scratch_q_ = reinterpret_cast<std::int32_t*>(static_cast<char*>(misc_.data()) + 36);
    routed_flags_ = reinterpret_cast<unsigned int*>(static_cast<char*>(misc_.data()) + 40);
    check(cudaEventCreate(&ev_start_), "cudaEventCreate");
    check(cudaEventCreate(&ev_stop_), "cudaEventCreate");
  }
  ~CudaStatsOp() override {
    cudaEventDestroy(ev_start_);
    cudaEventDestroy(ev_stop_);
  }

  std::string_view backend() const override { return "cuda"; }

  entropy::EntropyValue estimate(const entropy::ActivationView& x, const entropy::Statistic& s) override {
    if (host_only(s.estimator)) return entropy::CpuStats().estimate(host_copy(x), s);
    enqueue(x, s, nullptr, nullptr, nullptr);
    return read_back(s, nullptr);
  }

  entropy::ChunkChoice choose_chunk(const entropy::ActivationView& x, const entropy::Statistic& s,
                                    const entropy::ChunkRule& rule) override {
    if (host_only(s.estimator)) return entropy::CpuStats().choose_chunk(host_copy(x), s, rule);
    enqueue(x, s, &rule, scratch_h_, scratch_q_);
    entropy::ChunkChoice choice;
    std::int32_t q = 0;
    choice.entropy = read_back(s, &q);
    choice.chunk = q;
    return choice;
  }

  void choose_chunk_into(const entropy::ActivationView& x, const entropy::Statistic& s, const entropy::ChunkRule& rule,
                         float* entropy_out, std::int32_t* chunk_out) override {
    enqueue(x, s, &rule, entropy_out, chunk_out);
  }

  void choose_guarded_chunk_into(const entropy::ActivationView& x, const entropy::Statistic& s,
                                 const entropy::ChunkRule& rule, std::int64_t guard_fallback, int guard_min_delta_buckets,
                                 float* entropy_out, std::int32_t* chunk_out) override {
    check_guard(guard_fallback);
    enqueue(x, s, &rule, entropy_out, chunk_out, guard_fallback, guard_min_delta_buckets);
  }

  StatsTap tap_for(const entropy::Statistic& s, int producer_blocks) override {
    if (!tappable(s.estimator)) return {};
    if (producer_blocks < 1) throw_usage_error("statistic tap: the producer needs at least one block");
    StatsTap tap;
    tap.sums = tap_sums(s.estimator);
    tap.blocks = producer_blocks;
    tap.stride = s.stride;
    return tap;
  }

  void choose_guarded_chunk_tapped(const entropy::ActivationView& x, const entropy::Statistic& s,
                                   const entropy::ChunkRule& rule, std::int64_t guard_fallback,
                                   int guard_min_delta_buckets, const StatsTap& tap, float* entropy_out,
                                   std::int32_t* chunk_out) override {
    const StatsParams p =
        tapped_params(x, s, rule, guard_fallback, guard_min_delta_buckets, tap, entropy_out, chunk_out);
    launch_stats_tapped(p, ws_, tap, stream_);
  }

  void set_timing(bool enabled) override { timing_ = enabled; }

  void set_cluster_max_samples(std::int64_t samples) override {
    ws_.cluster_max_samples = std::clamp<std::int64_t>(samples, 0, cluster_limit_);
  }

  RoutedStatistic routed_statistic(const entropy::ActivationView& x, const entropy::Statistic& s,
                                   const entropy::ChunkRule& rule, float* entropy_out,
                                   std::int32_t* chunk_out) override {
    if (host_only(s.estimator) || s.estimator == entropy::Estimator::token_hist)
      throw_usage_error("routed scan: statistic '" + std::string(entropy::to_string(s.estimator)) +
                        "' is not computed inside the scan's launch");
    RoutedStatistic r;
    r.params = params_for(x, s, &rule, entropy_out, chunk_out, 0, 0);
    const std::int64_t samples = x.batch * x.dim * ((x.seqlen + s.stride - 1) / s.stride);
    if (samples > kStatsClusterMaxSamples)
      throw_usage_error("routed scan: " + std::to_string(samples) + " sampled values exceed the " +
                        std::to_string(kStatsClusterMaxSamples) + " computed beside the scan; use a larger "
                        "stride");
    r.ws = ws_;
    r.flags = routed_flags_;
    return r;
  }

  RoutedStatistic routed_statistic_tapped(const entropy::ActivationView& x, const entropy::Statistic& s,
                                          const entropy::ChunkRule& rule, std::int64_t guard_fallback,
                                          int guard_min_delta_buckets, const StatsTap& tap, float* entropy_out,
                                          std::int32_t* chunk_out) override {
    RoutedStatistic r;
    r.params = tapped_params(x, s, rule, guard_fallback, guard_min_delta_buckets, tap, entropy_out, chunk_out);
    if (!tap.wants_moments())
      throw_usage_error("routed scan: a histogram's second pass reads the tensor; only a proxy's tap is folded "
                        "inside the scan's launch");
    r.ws = ws_;
    r.flags = routed_flags_;
    r.moments = tap.moments;
    r.moment_parts = tap.parts;
    return r;
  }

  double last_kernel_time_s() const override {
    if (!timing_) throw_usage_error("statistics: last_kernel_time_s needs timing (set_timing(true))");
    check(cudaEventSynchronize(ev_stop_), "cudaEventSynchronize");
    float ms = 0.0f;
    check(cudaEventElapsedTime(&ms, ev_start_, ev_stop_), "cudaEventElapsedTime");
    return ms * 1e-3;
  }

 private:
  // The estimator without a device kernel (the prototype's numpy range): the tensor is copied to the host and
  // the CPU estimator computes it, which is what a host-side hook costs anyway (one sync per call).
  // `choose_chunk_into` still refuses it: it promises no host trip.
  static bool host_only(entropy::Estimator e) { return e == entropy::Estimator::proto; }
  // Pass 1 can come from the producer (stats_tap.hpp): the range of a histogram, the power sums of a proxy.
  static bool tappable_range(entropy::Estimator e) {
    return e == entropy::Estimator::hist || e == entropy::Estimator::ebits;
  }
  // The power sums a proxy's tap accumulates (proxy_native's inputs); 0 for the histograms' range.
  static unsigned tap_sums(entropy::Estimator e) {
    if (e == entropy::Estimator::cheap_proxy) return kCheapProxySums;
    if (e == entropy::Estimator::variance_proxy) return kVarianceProxySums;
    if (e == entropy::Estimator::kurtosis_proxy) return kKurtosisProxySums;
    return 0;
  }
  static bool tappable(entropy::Estimator e) { return tappable_range(e) || tap_sums(e) != 0; }
  static void check_tap(const entropy::Statistic& s, const StatsTap& tap) {
    const bool storage = tap.wants_moments() ? tap.moments != nullptr && tap.parts > 0 : tap.range != nullptr;
    if (!tappable(s.estimator) || !tap || tap.sums != tap_sums(s.estimator) || !storage || tap.stride != s.stride)
      throw_usage_error("statistic tap: the tap was not made by tap_for for this statistic, or has no storage");
  }
  static void check_guard(std::int64_t guard_fallback) {
    if (guard_fallback < 0) throw_usage_error("guard: the fallback chunk must be >= 0 (0 = no guard)");
  }
  // A guarded statistic whose producer did pass 1 through `tap`.
  StatsParams tapped_params(const entropy::ActivationView& x, const entropy::Statistic& s,
                            const entropy::ChunkRule& rule, std::int64_t guard_fallback, int guard_min_delta_buckets,
                            const StatsTap& tap, float* entropy_out, std::int32_t* chunk_out) {
    check_guard(guard_fallback);
    check_tap(s, tap);
    return params_for(x, s, &rule, entropy_out, chunk_out, guard_fallback, guard_min_delta_buckets);
  }

  entropy::ActivationView host_copy(const entropy::ActivationView& x) {
    if (x.stride_b < 0 || x.stride_d < 0 || x.stride_l < 0) throw_usage_error("statistic: negative strides");
    const std::size_t element = x.dtype == DType::f32 ? 4 : 2;
    io_of(x.dtype);
    const std::int64_t span = x.batch * x.dim * x.seqlen == 0
                                  ? 0
                                  : (x.batch - 1) * x.stride_b + (x.dim - 1) * x.stride_d + (x.seqlen - 1) * x.stride_l + 1;
    host_.resize(static_cast<std::size_t>(span) * element);
    set_device(device_);
    check(cudaMemcpyAsync(host_.data(), x.data, host_.size(), cudaMemcpyDeviceToHost, stream_), "cudaMemcpyAsync(stats)");
    check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize(stats)");
    entropy::ActivationView h = x;
    h.data = host_.data();
    return h;
  }

  void enqueue(const entropy::ActivationView& x, const entropy::Statistic& s, const entropy::ChunkRule* rule,
               float* entropy_out, std::int32_t* chunk_out, std::int64_t guard_fallback = 0,
               int guard_min_delta_buckets = 0) {
    const StatsParams p = params_for(x, s, rule, entropy_out, chunk_out, guard_fallback, guard_min_delta_buckets);
    if (timing_) check(cudaEventRecord(ev_start_, stream_), "cudaEventRecord");
    launch_stats(p, ws_, stream_);
    if (timing_) check(cudaEventRecord(ev_stop_, stream_), "cudaEventRecord");
  }

  // The launch parameters, after the checks every path shares.
  StatsParams params_for(const entropy::ActivationView& x, const entropy::Statistic& s, const entropy::ChunkRule* rule,
                         float* entropy_out, std::int32_t* chunk_out, std::int64_t guard_fallback,
                         int guard_min_delta_buckets) {
    set_device(device_);
    if (!x.data && x.batch * x.dim * x.seqlen > 0) throw_usage_error("statistic: tensor data is null");
    if (s.stride < 1) throw_usage_error("statistic: stride must be >= 1 (got " + std::to_string(s.stride) + ")");
    if (s.bins < 1 || s.bins > kMaxBins)
      throw_usage_error("statistic: bins must be in [1, " + std::to_string(kMaxBins) + "] on the CUDA backend");
    if (s.estimator == entropy::Estimator::token_hist &&
        x.batch * ((x.seqlen + s.stride - 1) / s.stride) > kMaxTokenHistTokens)
      throw_usage_error("statistic token_hist: " + std::to_string(x.batch * ((x.seqlen + s.stride - 1) / s.stride)) +
                        " sampled tokens (batch x ceil(seqlen / stride)) exceed the CUDA backend's limit of " +
                        std::to_string(kMaxTokenHistTokens) + "; use a larger stride or the CPU backend");
    if (rule && (rule->c_min < 1 || rule->c_max < rule->c_min))
      throw_usage_error("chunk rule: need 1 <= c_min <= c_max (got " + std::to_string(rule->c_min) + ", " +
                        std::to_string(rule->c_max) + ")");
    StatsParams p;
    p.x = x.data;
    p.io = io_of(x.dtype);
    p.batch = x.batch;
    p.dim = x.dim;
    p.seqlen = x.seqlen;
    p.sb = x.stride_b;
    p.sd = x.stride_d;
    p.sl = x.stride_l;
    p.stride = s.stride;
    p.kind = stat_kind(s.estimator);
    p.bins = s.bins;
    p.units = static_cast<int>(s.units);
    if (rule) {
      p.h_ref = rule->h_ref;
      p.c_min = rule->c_min;
      p.c_max = rule->c_max;
      p.round_half_even = rule->rounding == entropy::Rounding::round;
      p.guard_fallback = guard_fallback;
      p.guard_min_delta_buckets = guard_min_delta_buckets;
    }
    p.entropy_out = entropy_out;
    p.chunk_out = chunk_out;
    return p;
  }

  entropy::EntropyValue read_back(const entropy::Statistic& s, std::int32_t* chunk) {
    double result[3] = {0.0, 0.0, 0.0};
    check(cudaMemcpyAsync(result, ws_.result, sizeof(result), cudaMemcpyDeviceToHost, stream_), "cudaMemcpyAsync(H)");
    if (chunk)
      check(cudaMemcpyAsync(chunk, scratch_q_, sizeof(std::int32_t), cudaMemcpyDeviceToHost, stream_),
            "cudaMemcpyAsync(Q)");
    check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize(stats)");
    if (result[2] > 0.0)
      throw_usage_error("tensor: " + std::to_string(static_cast<long long>(result[2])) +
                        " non-finite values (NaN or Inf)");
    entropy::EntropyValue v;
    v.value = result[0];
    v.statistic = s;
    return v;
  }

  int device_ = 0;
  cudaStream_t stream_ = nullptr;
  std::vector<unsigned char> host_;  // host copy for the host_only estimator
  StatsWorkspace ws_;
  std::int64_t cluster_limit_ = 0;  // the most the device allows on the one-cluster path
  bool timing_ = true;
  DeviceBuffer partials_, hist_, token_h_, misc_;
  float* scratch_h_ = nullptr;
  std::int32_t* scratch_q_ = nullptr;
  unsigned int* routed_flags_ = nullptr;
  cudaEvent_t ev_start_ = nullptr;
  cudaEvent_t ev_stop_ = nullptr;
};

}  // namespace

std::unique_ptr<DeviceScanOp> make_scan_op(int device) { return std::make_unique<CudaScanOp>(device); }
std::unique_ptr<DeviceStatsOp> make_stats_op(int device) { return std::make_unique<CudaStatsOp>(device, nullptr); }
std::unique_ptr<DeviceStatsOp> make_stats_op(int device, void* stream) {
  return std::make_unique<CudaStatsOp>(device, static_cast<cudaStream_t>(stream));
}

}  // namespace corey::cuda
