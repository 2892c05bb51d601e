#include "entropy/chunk_rule.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"

namespace corey::entropy {

std::string_view to_string(Rounding rounding) { return rounding == Rounding::round ? "round" : "floor"; }

Rounding rounding_from_string(std::string_view name) {
  if (name == "round") return Rounding::round;
  if (name == "floor") return Rounding::floor;
  throw_usage_error("unknown rounding '" + std::string(name) + "' (expected round or floor)");
}

std::int64_t choose_chunk(double entropy, const ChunkRule& rule) {
  if (!std::isfinite(entropy)) throw_usage_error("chunk rule: the entropy is not a finite number");
  if (rule.c_min < 1 || rule.c_max < rule.c_min)
    throw_usage_error("chunk rule: need 1 <= c_min <= c_max (got " + std::to_string(rule.c_min) + ", " +
                      std::to_string(rule.c_max) + ")");
  const double r = rule.h_ref <= 0.0 ? 0.0 : std::min(entropy / rule.h_ref, 1.0);
  const double raw = static_cast<double>(rule.c_min) + r * static_cast<double>(rule.c_max - rule.c_min);
  const double log2_raw = std::log2(std::max(raw, 1.0));
  // Python's round() is half-to-even: nearbyint under the default rounding mode, not std::round.
  const double e = rule.rounding == Rounding::round ? std::nearbyint(log2_raw) : std::floor(log2_raw);
  const double chunk = std::ldexp(1.0, static_cast<int>(e));
  return std::clamp(static_cast<std::int64_t>(chunk), rule.c_min, rule.c_max);
}

bool guard_replaces(std::int64_t q, std::int64_t fallback, int min_delta_buckets) {
  const double delta = std::abs(std::nearbyint(std::log2(static_cast<double>(q))) -
                                std::nearbyint(std::log2(static_cast<double>(fallback))));
  return delta < min_delta_buckets;
}

}  // namespace corey::entropy
