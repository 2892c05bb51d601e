#pragma once
#include <memory>

#include "entropy/cpu_stats.hpp"
#include "model/model_runner.hpp"
#include "model/weights.hpp"
#include "scan/cpu_scan.hpp"

namespace corey::model {

// The CPU backend: Eigen GEMMs for the projections and the head, the CPU selective scan (canonical op
// order, fp32 state) with the runtime chunk of each layer, chosen by a fixed Q, a host hook or a backend rule
// (the CPU StatsOp plus the guard). Prefill and decode share one code path over a span of tokens that starts
// from the stored states, so a decode step is the L = 1 case of prefill.
class CpuModelRunner final : public ModelRunner {
 public:
  explicit CpuModelRunner(MambaWeights weights, unsigned threads = 0);  // 0 = all hardware threads

  std::string_view backend() const override { return "cpu"; }
  const MambaConfig& config() const override { return weights_.config; }
  PrefillResult prefill(std::span<const std::int32_t> ids, const PrefillOptions& options) override;
  std::vector<float> decode_step(std::int32_t id) override;
  void reset() override;

  const MambaWeights& weights() const { return weights_; }

 private:
  // Runs `ids` from the current states, updates them, and returns logits of all positions or the last.
  std::vector<float> forward(std::span<const std::int32_t> ids, const PrefillOptions& options, bool all_logits,
                             std::vector<LayerScanRecord>* scans);

  MambaWeights weights_;
  scan::CpuScan scan_;
  entropy::CpuStats stats_;  // the backend rule's statistic
  std::vector<float> conv_state_;  // (layers, D, K - 1): the last pre-conv x values, oldest first
  std::vector<float> ssm_state_;   // (layers, D, N) fp32
};

}  // namespace corey::model
