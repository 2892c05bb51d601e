#pragma once
#include <cstdint>
#include <string_view>

namespace corey::entropy {

enum class Rounding { round, floor };  // round = round-half-to-even in the log2 domain (Python `round`)

std::string_view to_string(Rounding rounding);
Rounding rounding_from_string(std::string_view name);  // throws corey::Error (usage)

// The entropy → chunk rule of PAPER.md §2.3:
//   r = min(H / H_ref, 1) (0 if H_ref <= 0); raw = C_min + r·(C_max − C_min);
//   e = ROUND(log2(max(raw, 1))); C = clamp(2^e, C_min, C_max).
// H and H_ref must be in the same units (the caller's responsibility; results carry the units).
struct ChunkRule {
  double h_ref = 5.545177444479562;  // ln 256
  std::int64_t c_min = 32;
  std::int64_t c_max = 512;
  Rounding rounding = Rounding::round;
};

std::int64_t choose_chunk(double entropy, const ChunkRule& rule);

// The guard of PAPER.md §2.4: the fallback chunk F replaces Q when |round(log2 Q) − round(log2 F)| < m buckets.
bool guard_replaces(std::int64_t q, std::int64_t fallback, int min_delta_buckets);

}  // namespace corey::entropy
