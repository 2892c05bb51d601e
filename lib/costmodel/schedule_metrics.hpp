#pragma once
#include <string>

#include "costmodel/fusion.hpp"

namespace corey::costmodel {

// The per-(L, repeat) signals of PAPER.md §3.3 that the cost model consumes.
struct ActivationSignals {
  double entropy_before = 0.0;
  double entropy_after = 0.0;
  double entropy_gain = 0.0;
  double outlier_before = 0.0;
  double outlier_after = 0.0;
  double max_projection_error = 0.0;
};

struct PrecisionModel {
  std::string name;
  double speedup = 1.0;
  double penalty = 0.0;  // the authors' "sensitivity"
};

// One row of detailed_metrics, already rounded as the authors round it. The average fusion depth is a
// Python int when the mean of the group depths is integral (statistics.mean of ints).
struct ScheduleMetrics {
  std::string method;
  long sequence_length = 0;
  std::string precision;
  double latency_ms = 0.0;
  double throughput_tokens_per_s = 0.0;
  double dram_bytes_per_token = 0.0;
  double quality_drop = 0.0;
  double average_fusion_depth = 0.0;
  bool average_fusion_depth_is_int = false;
  double p95_group_depth = 0.0;
  double average_group_occupancy = 0.0;
  double min_group_occupancy = 0.0;
  double average_register_cost = 0.0;
  double average_shared_memory_cost = 0.0;
  double entropy_before = 0.0;
  double entropy_after = 0.0;
  double entropy_gain = 0.0;
  double outlier_before = 0.0;
  double outlier_after = 0.0;
  double max_projection_error = 0.0;
};

// _estimate_metrics (PAPER.md §3.6). `bonuses` = false zeroes the entropy-guided reuse and launch bonuses
// (flaw F12 ablation); the paper's model has them on.
ScheduleMetrics estimate_metrics(const std::string& method, long sequence_length, const PrecisionModel& precision,
                                 const Schedule& groups, const ActivationSignals& signals, bool bonuses);

}  // namespace corey::costmodel
