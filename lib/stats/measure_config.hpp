#pragma once
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/json.hpp"

namespace corey::stats {

// Stopping criteria of HARNESS.md §4.5.
enum class StopCriterion {
  ci,            // relative half-width of the median CI ≤ rel_halfwidth
  ci_ratio,      // the same test on the CI of the ratio against a reference row (supplied by the caller)
  rel_stdev,     // stdev / mean ≤ max_noise (NVBench `stdrel`)
  sample_count,  // exactly samples.min samples
};

std::string_view to_string(StopCriterion criterion);

// The `warmup`, `samples` and `stop` parts of a spec's `measure` map (other keys of `measure`, such as
// `mode` or `l2_flush`, belong to the backends and are not read here). Defaults apply to absent keys.
struct MeasureConfig {
  std::size_t warmup_runs = 3;     // warmup.runs ≥ 1
  double warmup_min_time_s = 0.0;  // warmup.min_time_s ≥ 0
  std::size_t samples_min = 20;    // samples.min ≥ 1
  std::size_t samples_max = 5000;  // samples.max ≥ samples.min
  StopCriterion criterion = StopCriterion::ci;
  double rel_halfwidth = 0.01;  // stop.rel_halfwidth > 0
  double confidence = 0.95;     // stop.confidence ∈ (0, 1)
  double min_time_s = 0.0;      // stop.min_time_s ≥ 0: accumulated sample time before stopping
  double timeout_s = 30.0;      // stop.timeout_s > 0: wall time of warm-up plus measurement
  double max_noise = 0.005;     // stop.max_noise > 0 (criterion rel_stdev)

  // Maps a JSON pointer such as "/measure/stop/timeout_s" to the position of that value in the user's
  // file (Spec::where); empty when positions are unknown.
  using Locator = std::function<std::optional<SourcePos>(const std::string& json_pointer)>;

  // Throws corey::Error (kind spec, with the value's position when `where` knows it) on a wrong type,
  // an out-of-range value or an unknown key inside warmup/samples/stop.
  static MeasureConfig from_json(const Json& measure, const Locator& where = {});
};

}  // namespace corey::stats
