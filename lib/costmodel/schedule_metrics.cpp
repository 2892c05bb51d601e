#include "costmodel/schedule_metrics.hpp"

#include <algorithm>
#include <cmath>

#include "costmodel/python_numeric.hpp"

namespace corey::costmodel {

ScheduleMetrics estimate_metrics(const std::string& method, long sequence_length, const PrecisionModel& precision,
                                 const Schedule& groups, const ActivationSignals& signals, bool bonuses) {
  const double seq_scale = std::log2(static_cast<double>(sequence_length));
  const bool is_static = method == "static_fusion";
  const bool is_guided = method == "entropy_guided";
  const bool is_no_fusion = method == "no_fusion";

  ExactSum depth_sum;
  ExactSum occupancy_sum;
  ExactSum register_sum;
  ExactSum shared_sum;
  double min_occupancy = groups.front().occupancy();
  std::vector<int> depths;
  for (const auto& g : groups) {
    depth_sum.add(g.depth());
    occupancy_sum.add(g.occupancy());
    register_sum.add(g.register_cost());
    shared_sum.add(g.shared_memory_cost());
    min_occupancy = std::min(min_occupancy, g.occupancy());
    depths.push_back(g.depth());
  }
  const double average_depth_value = depth_sum.mean(groups.size());

  double total_latency = 0.0;
  double total_memory = 0.0;
  for (const auto& g : groups) {
    const double entropy = g.entropy();
    double reuse = 1.0 - 0.09 * (g.depth() - 1) - 0.08 * entropy;
    if (is_static) reuse += 0.04 * std::max(0.0, 0.62 - entropy);
    if (is_guided && bonuses) reuse -= 0.06 * std::max(signals.entropy_gain, 0.0);
    reuse = std::clamp(reuse, 0.42, 1.1);
    const double adjusted_memory = g.memory_traffic() * seq_scale * reuse;
    const double adjusted_compute = g.arithmetic_intensity() * seq_scale / precision.speedup;
    double launch = is_no_fusion ? 0.28 : 0.16;
    launch += 0.03 * std::max(g.depth() - 3, 0);
    if (is_guided && bonuses) launch -= 0.02 * std::min(g.depth() - 1, 2);
    total_memory += adjusted_memory;
    total_latency += 0.012 * adjusted_memory + 0.007 * adjusted_compute + launch;
  }

  double over_fusion = std::max(0.0, average_depth_value - 2.0) * std::max(0.0, 0.63 - signals.entropy_after);
  if (is_no_fusion) over_fusion = 0.0;
  if (is_guided) over_fusion *= 0.35;
  double hadamard_bonus = 0.0;
  if (is_guided)
    hadamard_bonus = 0.45 * std::max(signals.entropy_gain, 0.0) +
                     5.0 * std::max(signals.outlier_before - signals.outlier_after, 0.0);
  const double quality_drop =
      std::max(0.0, precision.penalty * (0.12 + signals.outlier_before * 10.0) + over_fusion - hadamard_bonus);
  const auto length = static_cast<double>(sequence_length);
  const double throughput = length / (total_latency / 1000.0);
  const double dram = total_memory * 1024.0 / length;

  std::sort(depths.begin(), depths.end());
  auto p95_index = static_cast<long>(std::ceil(0.95 * static_cast<double>(depths.size()))) - 1;
  p95_index = std::clamp(p95_index, 0L, static_cast<long>(depths.size()) - 1);

  ScheduleMetrics m;
  m.method = method;
  m.sequence_length = sequence_length;
  m.precision = precision.name;
  m.latency_ms = python_round(total_latency, 4);
  m.throughput_tokens_per_s = python_round(throughput, 4);
  m.dram_bytes_per_token = python_round(dram, 4);
  m.quality_drop = python_round(quality_drop, 4);
  m.average_fusion_depth_is_int = average_depth_value == std::floor(average_depth_value);
  m.average_fusion_depth = python_round(average_depth_value, 4);
  m.p95_group_depth = depths[static_cast<std::size_t>(p95_index)];
  m.average_group_occupancy = python_round(occupancy_sum.mean(groups.size()), 4);
  m.min_group_occupancy = python_round(min_occupancy, 4);
  m.average_register_cost = python_round(register_sum.mean(groups.size()), 4);
  m.average_shared_memory_cost = python_round(shared_sum.mean(groups.size()), 4);
  m.entropy_before = python_round(signals.entropy_before, 4);
  m.entropy_after = python_round(signals.entropy_after, 4);
  m.entropy_gain = python_round(signals.entropy_gain, 4);
  m.outlier_before = python_round(signals.outlier_before, 6);
  m.outlier_after = python_round(signals.outlier_after, 6);
  m.max_projection_error = python_round(signals.max_projection_error, 10);
  return m;
}

}  // namespace corey::costmodel
