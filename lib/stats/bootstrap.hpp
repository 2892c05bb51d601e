#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/json.hpp"

namespace corey::stats {

struct BootstrapConfig {
  double level = 0.95;
  std::size_t resamples = 10000;
  std::uint64_t seed = 0;  // std::mt19937_64 seed; the runner uses point_seed(stats.seed, point id)
};

// How a ratio's two sample sets are resampled (HARNESS.md §4.4.3): `paired` draws round indices and takes
// both sides of each drawn round (rows measured interleaved, sample i of both sides from round i);
// `unpaired` resamples each side on its own.
enum class Pairing { paired, unpaired };

// A percentile bootstrap confidence interval: the type 7 quantiles α/2 and 1 − α/2 of the statistic over
// the resamples. Resampling draws indices with uniform_index from a std::mt19937_64 seeded with `seed`,
// so an interval is reproducible on every platform.
struct BootstrapCi {
  std::string stat;                // "mean" or "median_ratio"
  std::optional<Pairing> pairing;  // set for ratios
  double level = 0;
  std::size_t resamples = 0;
  std::uint64_t seed = 0;
  double estimate = 0;  // the statistic of the original samples
  double lo = 0;
  double hi = 0;

  bool finite() const;
  // {stat, level, lo, hi, method: "percentile_bootstrap", estimate, resamples, seed, [pairing]}; the seed
  // is a "0x…" hex string because 64-bit integers do not survive JSON numbers (§3.4). Non-finite values
  // (a zero median in a denominator) are null and add "reason": "non_finite".
  Json to_json() const;
};

// CI of the mean. Throws std::invalid_argument on empty samples, zero resamples or a level ∉ (0, 1).
BootstrapCi bootstrap_mean_ci(std::span<const double> samples, const BootstrapConfig& config);

// CI of median(numerator) / median(denominator). A resample of `paired` data draws n round indices and
// uses them on both sides (the sets must have equal sizes); `unpaired` draws numerator indices and then
// denominator indices from the same generator. Throws std::invalid_argument on empty sides, a size
// mismatch when paired, zero resamples or a level ∉ (0, 1).
BootstrapCi bootstrap_median_ratio_ci(std::span<const double> numerator, std::span<const double> denominator,
                                      Pairing pairing, const BootstrapConfig& config);

}  // namespace corey::stats
