#pragma once
#include <string>
#include <vector>

#include "entropy/stats_op.hpp"

namespace corey::entropy {

// u[..., ::stride] of a host tensor as fp32, in (b, d, t) order. Throws corey::Error (usage) naming
// `tensor` at the first NaN or infinity.
std::vector<float> gather_strided(const ActivationView& x, std::int64_t stride, const std::string& tensor);

// token_hist (PAPER.md §2.4): u[..., ::stride] viewed as (tokens, channels); per token an E-routed
// histogram over the channels with that token's own min/max; tokens with span < 1e-8 are dropped; the mean
// of the remaining per-token entropies (0 if none). Nats.
double token_hist_entropy_nats(const ActivationView& x, int bins, std::int64_t stride, const std::string& tensor);

// Converts a value from its estimator's native unit (bits for ebits, nats otherwise) to `units`.
double convert_units(double native, Estimator estimator, Units units, int bins);

// The CPU StatsOp: host memory in, host memory out.
class CpuStats final : public StatsOp {
 public:
  std::string_view backend() const override { return "cpu"; }
  EntropyValue estimate(const ActivationView& x, const Statistic& statistic) override;
  // The same, naming the tensor in the value and in errors.
  EntropyValue estimate(const ActivationView& x, const Statistic& statistic, const std::string& tensor);
  ChunkChoice choose_chunk(const ActivationView& x, const Statistic& statistic, const ChunkRule& rule) override;
  void choose_chunk_into(const ActivationView& x, const Statistic& statistic, const ChunkRule& rule, float* entropy_out,
                         std::int32_t* chunk_out) override;
};

}  // namespace corey::entropy
