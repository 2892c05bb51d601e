#include <chrono>

#include "bench/scan_executor.hpp"
#include "entropy/cpu_stats.hpp"
#include "scan/cpu_scan.hpp"
#include "stats/steady_timer.hpp"

namespace corey::bench {

namespace {

class CpuScanExecutor final : public ScanExecutor {
 public:
  explicit CpuScanExecutor(unsigned threads) : scan_(threads) {}
  std::string_view impl() const override { return "cpu"; }
  std::string_view timer_name() const override { return "steady_clock"; }
  std::string_view measure_mode() const override { return "cpu"; }
  bool flushes_l2() const override { return false; }
  void load(ScanInputs& inputs) override {
    inputs_ = &inputs;
    problem_ = inputs.problem();
  }
  std::string unsupported_reason(const scan::ChunkConfig& chunk) const override {
    return scan_.unsupported_reason(problem_, chunk);
  }
  void set_launch_graph(bool) override {}  // the tier skips graph points on the CPU
  scan::ChunkReport run(const scan::ChunkConfig& chunk) override { return scan_.run(problem_, chunk); }
  ScanOutput output() override { return snapshot(*inputs_); }
  double timed_run_s(const scan::ChunkConfig& chunk) override {
    timer_.start();
    scan_.run(problem_, chunk);
    return timer_.stop_s();
  }
  entropy::ChunkChoice choose_chunk(const entropy::Statistic& statistic, const entropy::ChunkRule& rule) override {
    const auto u = entropy::contiguous_view(inputs_->u(), inputs_->spec().dtype, inputs_->batch(), inputs_->dim(),
                                            inputs_->seqlen());
    entropy::ChunkChoice choice;
    choice.entropy = stats_.estimate(u, statistic, "u");
    choice.chunk = entropy::choose_chunk(choice.entropy.value, rule);
    return choice;
  }
  std::string routed_unsupported_reason() const override {
    return "device-side routing needs the CUDA backend (the CPU computes the statistic on the host)";
  }
  Json ceilings() override { return nullptr; }
  RoutedTiming timed_routed_run(const entropy::Statistic&, const entropy::ChunkRule&, scan::ChunkReport*) override {
    return {};
  }

 private:
  scan::CpuScan scan_;
  entropy::CpuStats stats_;
  stats::SteadyTimer timer_;
  ScanInputs* inputs_ = nullptr;
  scan::ScanProblem problem_;
};

}  // namespace

std::unique_ptr<ScanExecutor> make_cpu_scan_executor(unsigned threads) {
  return std::make_unique<CpuScanExecutor>(threads);
}

}  // namespace corey::bench
