#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "costmodel/csv_table.hpp"
#include "costmodel/fusion.hpp"
#include "costmodel/schedule_metrics.hpp"

namespace corey::costmodel {

struct Bucket {
  std::string name;
  std::vector<long> sequence_lengths;
};

// Every knob of the authors' ExperimentConfig plus the constants their script hard-codes (PAPER.md §3.1).
struct FusionStudyConfig {
  int hidden_dim = 192;
  int projection_dim = 256;
  double tau = 0.52;
  int repeats = 5;
  int bins = 64;
  std::uint64_t seed = 7;
  double ema_decay = 0.85;
  std::vector<Bucket> buckets = {{"short", {1024, 2048}},
                                 {"medium", {4096, 8192}},
                                 {"long", {16384, 32768}},
                                 {"ultra_long", {65536}}};
  FusionWeights weights;
  std::vector<PrecisionModel> precisions = {{"fp16", 1.0, 0.0}, {"w8a8", 1.12, 0.7}, {"w4a8", 1.22, 1.3}};
  bool bonuses = true;
  bool traces = true;  // schedule_trace and tile_trace (the two large per-group tables)
};

// Runs the whole Tier-1 pipeline (PAPER.md §3.3) and returns the authors' tables, in the order they write
// them: detailed_metrics, bucket_summary, occupancy_summary, alpha_zero_ablation,
// alpha_zero_matched_ablation, schedule_trace, tile_trace, tile_trace_summary, alpha_zero_matched_tau,
// hadamard_validation, sinkhorn_validation_summary, grid_ablation, grid_ablation_summary.
std::vector<CsvTable> run_fusion_study(const FusionStudyConfig& config);

}  // namespace corey::costmodel
