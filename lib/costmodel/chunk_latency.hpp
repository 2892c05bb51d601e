#pragma once
#include <map>

namespace corey::costmodel {

// Chunk size → measured latency (ms) used by the analytic kernel-tier studies.
using LatencyTable = std::map<int, double>;

// The RTX 3070 chunk sweep of PAPER.md §4.4 (fp16, L = 4096), as the authors' analytic scripts hard-code it.
LatencyTable paper_rtx3070_latency_table();

// Rule (a) of PAPER.md §2.3: r = min(H / H_ref, 1), raw = C_min + r (C_max − C_min),
// chunk = clamp(2^round_half_even(log2 max(raw, 1)), C_min, C_max).
struct ChunkChoice {
  double r = 0.0;
  int chunk = 0;
};
ChunkChoice entropy_to_chunk(double entropy_nats, double h_ref, int c_min = 32, int c_max = 512);

// The table's latency for a chunk, or the nearest chunk's (first of equals) when it has no entry.
double latency_for_chunk(const LatencyTable& table, int chunk);

}  // namespace corey::costmodel
