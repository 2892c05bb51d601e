#pragma once
#include <string>
#include <vector>

#include "costmodel/fusion.hpp"

namespace corey::costmodel {

// One tile of the surrogate runtime trace (PAPER.md §3.7), rounded as the authors print it.
struct TileTraceRow {
  int group_index = 0;
  int tile_index = 0;
  int tile_size = 0;
  long estimated_tile_count = 0;
  int group_depth = 0;
  double group_occupancy = 0.0;
  double group_entropy = 0.0;
  int group_register_cost = 0;
  int group_shared_memory_cost = 0;
  double tile_entropy = 0.0;
  double tile_memory_bytes = 0.0;
  double tile_compute_cost = 0.0;
  double tile_latency_ms = 0.0;
  double cumulative_group_latency_ms = 0.0;
};

// Tile size of the prototype: 32·round((64 + clip(e, 0, 1)·448) / 32).
int prototype_tile_size(double entropy);

// Group latency without the precision factor and with the trace's own reuse terms.
double group_latency_proxy(const FusionGroup& group, long sequence_length, const std::string& method,
                           bool bonuses);

std::vector<TileTraceRow> tile_trace(long sequence_length, const std::string& method, const Schedule& groups,
                                     bool bonuses);

}  // namespace corey::costmodel
