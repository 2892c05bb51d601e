#include "costmodel/tile_trace.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "costmodel/python_numeric.hpp"

namespace corey::costmodel {

int prototype_tile_size(double entropy) {
  const double normalized = std::min(std::max(entropy, 0.0), 1.0);
  const double suggested = 64 + normalized * (512 - 64);
  return static_cast<int>(std::nearbyint(suggested / 32.0) * 32);
}

double group_latency_proxy(const FusionGroup& group, long sequence_length, const std::string& method,
                           bool bonuses) {
  const double seq_scale = std::log2(static_cast<double>(sequence_length));
  const double entropy = group.entropy();
  double reuse = 1.0 - 0.09 * (group.depth() - 1) - 0.08 * entropy;
  if (method == "static_fusion") reuse += 0.04 * std::max(0.0, 0.62 - entropy);
  if (method == "entropy_guided" && bonuses) reuse -= 0.04 * entropy;
  if (method == "arithmetic_only_matched") reuse -= 0.02 * std::max(entropy - 0.55, 0.0);
  reuse = std::clamp(reuse, 0.42, 1.1);
  const double adjusted_memory = group.memory_traffic() * seq_scale * reuse;
  const double adjusted_compute = group.arithmetic_intensity() * seq_scale;
  double launch = method == "no_fusion" ? 0.28 : 0.16;
  launch += 0.03 * std::max(group.depth() - 3, 0);
  if (method == "entropy_guided" && bonuses) launch -= 0.02 * std::min(group.depth() - 1, 2);
  return std::max(0.0, 0.012 * adjusted_memory + 0.007 * adjusted_compute + launch);
}

std::vector<TileTraceRow> tile_trace(long sequence_length, const std::string& method, const Schedule& groups,
                                     bool bonuses) {
  std::vector<TileTraceRow> rows;
  const double seq_scale = std::log2(static_cast<double>(sequence_length));
  const bool full_wave = method == "entropy_guided" || method == "arithmetic_only_matched";
  const bool guided = method == "entropy_guided";
  std::vector<double> weights;
  std::vector<double> entropies;
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    const FusionGroup& group = groups[gi];
    const double entropy = group.entropy();
    const int tile_size = prototype_tile_size(entropy);
    const long tiles = std::max(
        1L, static_cast<long>(std::ceil(static_cast<double>(sequence_length) / std::max(tile_size, 1))));
    const double latency = group_latency_proxy(group, sequence_length, method, bonuses);
    const double memory = group.memory_traffic() * seq_scale * 1024.0;
    const double compute = group.arithmetic_intensity() * seq_scale;
    weights.assign(static_cast<std::size_t>(tiles), 0.0);
    entropies.assign(static_cast<std::size_t>(tiles), 0.0);
    for (long t = 0; t < tiles; ++t) {
      const double position = (t + 0.5) / static_cast<double>(tiles);
      const double wave = 0.06 * std::sin(2.0 * std::numbers::pi * position);
      const double local = std::clamp(entropy + wave * (full_wave ? 1.0 : 0.5), 0.0, 1.0);
      entropies[static_cast<std::size_t>(t)] = local;
      double weight = 1.0 + 0.22 * std::sin(std::numbers::pi * position);
      weight += 0.18 * (1.0 - local);
      weight += 0.05 * std::max(group.depth() - 2, 0);
      if (guided) weight -= 0.08 * local;
      weights[static_cast<std::size_t>(t)] = std::max(weight, 0.2);
    }
    double total_weight = 0.0;
    for (double w : weights) total_weight += w;
    double cumulative = 0.0;
    const double occupancy = python_round(group.occupancy(), 4);
    const double rounded_entropy = python_round(entropy, 4);
    for (long t = 0; t < tiles; ++t) {
      const double w = weights[static_cast<std::size_t>(t)];
      const double tile_latency = latency * w / total_weight;
      const double tile_memory = memory * w / total_weight;
      const double tile_compute = compute * w / total_weight;
      cumulative += tile_latency;
      TileTraceRow row;
      row.group_index = static_cast<int>(gi);
      row.tile_index = static_cast<int>(t);
      row.tile_size = tile_size;
      row.estimated_tile_count = tiles;
      row.group_depth = group.depth();
      row.group_occupancy = occupancy;
      row.group_entropy = rounded_entropy;
      row.group_register_cost = group.register_cost();
      row.group_shared_memory_cost = group.shared_memory_cost();
      row.tile_entropy = python_round(entropies[static_cast<std::size_t>(t)], 4);
      row.tile_memory_bytes = python_round(tile_memory, 4);
      row.tile_compute_cost = python_round(tile_compute, 4);
      row.tile_latency_ms = python_round(tile_latency, 4);
      row.cumulative_group_latency_ms = python_round(cumulative, 4);
      rows.push_back(row);
    }
  }
  return rows;
}

}  // namespace corey::costmodel
