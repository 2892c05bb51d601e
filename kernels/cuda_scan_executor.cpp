#include "cuda_scan_executor.hpp"

#include <cstring>
#include <vector>

#include <cuda_runtime.h>

#include "backend_stream.hpp"
#include "cuda_backend.hpp"
#include "cuda_check.hpp"

namespace corey::cuda {

namespace {

// Elements spanned by a strided tensor (the largest offset + 1), so a host tensor can be copied as one block.
std::int64_t extent3(const scan::Strides3& s, std::int64_t b, std::int64_t d, std::int64_t l) {
  return (b - 1) * s.b + (d - 1) * s.d + (l - 1) * s.l + 1;
}
std::int64_t extent4(const scan::Strides4& s, std::int64_t b, std::int64_t g, std::int64_t n, std::int64_t l) {
  return (b - 1) * s.b + (g - 1) * s.g + (n - 1) * s.n + (l - 1) * s.l + 1;
}

class CudaScanExecutor final : public bench::ScanExecutor {
 public:
  explicit CudaScanExecutor(int device) : device_(device), scan_(make_scan_op(device)), stats_(make_stats_op(device)) {}
  std::string_view impl() const override { return "seq"; }
  std::string_view timer_name() const override { return "cuda_event"; }
  std::string_view measure_mode() const override { return "cold"; }
  bool flushes_l2() const override { return true; }

  void load(bench::ScanInputs& inputs) override {
    set_device(device_);
    inputs_ = &inputs;
    const scan::ScanProblem host = inputs.problem();
    device_problem_ = host;
    const std::size_t io = dtype_bytes(host.io_dtype);
    const auto B = host.batch, D = host.dim, L = host.seqlen, N = host.dstate, G = host.groups;
    buffers_.clear();
    auto copy = [&](const void* src, std::size_t bytes) -> void* {
      if (src == nullptr) return nullptr;
      buffers_.emplace_back(bytes);
      buffers_.back().upload(src, bytes);
      return buffers_.back().data();
    };
    device_problem_.u = copy(host.u, static_cast<std::size_t>(extent3(host.u_stride, B, D, L)) * io);
    device_problem_.delta = copy(host.delta, static_cast<std::size_t>(extent3(host.delta_stride, B, D, L)) * io);
    device_problem_.z = copy(host.z, static_cast<std::size_t>(extent3(host.z_stride, B, D, L)) * io);
    device_problem_.B = copy(host.B, static_cast<std::size_t>(extent4(host.B_stride, B, G, N, L)) * io);
    device_problem_.C = copy(host.C, static_cast<std::size_t>(extent4(host.C_stride, B, G, N, L)) * io);
    const auto d_floats = static_cast<std::size_t>(D) * sizeof(float);
    device_problem_.A = static_cast<const float*>(copy(host.A, static_cast<std::size_t>(D * N) * sizeof(float)));
    device_problem_.D_skip = static_cast<const float*>(copy(host.D_skip, d_floats));
    device_problem_.delta_bias = static_cast<const float*>(copy(host.delta_bias, d_floats));
    device_problem_.h0 = static_cast<const float*>(copy(host.h0, static_cast<std::size_t>(B * D * N) * sizeof(float)));
    out_bytes_ = static_cast<std::size_t>(extent3(host.out_stride, B, D, L)) * io;
    out_index_ = buffers_.size();
    buffers_.emplace_back(out_bytes_);
    device_problem_.out = buffers_.back().data();
    state_bytes_ = static_cast<std::size_t>(B * D * N) * sizeof(float);
    state_index_ = buffers_.size();
    buffers_.emplace_back(state_bytes_);
    device_problem_.hT = static_cast<float*>(buffers_.back().data());
    buffers_.emplace_back(64);
    routed_h_ = static_cast<float*>(buffers_.back().data());
    routed_q_ = reinterpret_cast<std::int32_t*>(static_cast<char*>(buffers_.back().data()) + 32);
    buffers_.back().fill_bytes(0);
  }

  std::string unsupported_reason(const scan::ChunkConfig& chunk) const override {
    return scan_->unsupported_reason(device_problem_, chunk);
  }

  void set_launch_graph(bool enabled) override { scan_->set_launch_graph(enabled); }

  scan::ChunkReport run(const scan::ChunkConfig& chunk) override {
    set_device(device_);
    // Poison the outputs so an element the kernel failed to write cannot pass verification.
    buffers_[out_index_].fill_bytes(0xff);
    buffers_[state_index_].fill_bytes(0xff);
    return scan_->run(device_problem_, chunk);
  }

  bench::ScanOutput output() override {
    bench::ScanOutput out;
    out.out.resize(out_bytes_);
    out.hT.resize(state_bytes_ / sizeof(float));
    buffers_[out_index_].download(out.out.data(), out_bytes_);
    buffers_[state_index_].download(out.hT.data(), state_bytes_);
    return out;
  }

  double timed_run_s(const scan::ChunkConfig& chunk) override {
    flush_l2(device_);
    scan_->run(device_problem_, chunk);
    return scan_->last_kernel_time_s();
  }

  entropy::ChunkChoice choose_chunk(const entropy::Statistic& statistic, const entropy::ChunkRule& rule) override {
    auto choice = stats_->choose_chunk(u_view(), statistic, rule);
    choice.entropy.tensor = "u";
    return choice;
  }

  std::string routed_unsupported_reason() const override { return {}; }

  Json ceilings() override {
    if (!ceilings_.is_null()) return ceilings_;
    set_device(device_);
    // Copy bandwidth as METHOD.md measures it: a large device-to-device copy, bytes read plus written.
    constexpr std::size_t kBytes = std::size_t{1} << 30;
    DeviceBuffer from(kBytes), to(kBytes);
    from.fill_bytes(1);
    const cudaStream_t stream = backend_stream(device_);
    Timer timer(device_);
    double best_s = 0.0;
    for (int i = 0; i < 5; ++i) {
      timer.start();
      check(cudaMemcpyAsync(to.data(), from.data(), kBytes, cudaMemcpyDeviceToDevice, stream), "cudaMemcpyAsync");
      timer.stop();
      const double s = timer.elapsed_s();
      if (i > 0 && (best_s == 0.0 || s < best_s)) best_s = s;  // the first copy warms up
    }
    int sms = 0, clock_khz = 0;
    check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device_), "cudaDeviceGetAttribute");
    check(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, device_), "cudaDeviceGetAttribute");
    const double clock_hz = clock_khz * 1e3;
    ceilings_ = Json{{"hbm_Bps", 2.0 * static_cast<double>(kBytes) / best_s},
                     {"ex2_per_s", sms * 16.0 * clock_hz},
                     {"clock_hz", clock_hz},
                     {"source", "measured device-to-device copy (best of 4); 16 ex2 per SM per clock"}};
    return ceilings_;
  }

  bench::RoutedTiming timed_routed_run(const entropy::Statistic& statistic, const entropy::ChunkRule& rule,
                                       scan::ChunkReport* report) override {
    flush_l2(device_);
    stats_->choose_chunk_into(u_view(), statistic, rule, routed_h_, routed_q_);
    scan::ChunkConfig config{scan::ChunkMode::inkernel, 0};
    config.chunk_ptr = routed_q_;
    *report = scan_->run(device_problem_, config);
    bench::RoutedTiming t;
    t.stats_s = stats_->last_kernel_time_s();
    t.total_s = t.stats_s + scan_->last_kernel_time_s();
    return t;
  }

 private:
  entropy::ActivationView u_view() const {
    return entropy::contiguous_view(device_problem_.u, device_problem_.io_dtype, device_problem_.batch,
                                    device_problem_.dim, device_problem_.seqlen);
  }

  int device_;
  std::unique_ptr<DeviceScanOp> scan_;
  std::unique_ptr<DeviceStatsOp> stats_;
  bench::ScanInputs* inputs_ = nullptr;
  scan::ScanProblem device_problem_;
  std::vector<DeviceBuffer> buffers_;  // the inputs, out, hT and the routed (H, Q) scratch
  std::size_t out_index_ = 0;
  std::size_t state_index_ = 0;
  std::size_t out_bytes_ = 0;
  std::size_t state_bytes_ = 0;
  float* routed_h_ = nullptr;
  std::int32_t* routed_q_ = nullptr;
  Json ceilings_;
};

}  // namespace

std::unique_ptr<bench::ScanExecutor> make_scan_executor(int device) {
  return std::make_unique<CudaScanExecutor>(device);
}

}  // namespace corey::cuda
