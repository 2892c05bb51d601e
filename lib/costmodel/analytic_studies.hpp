#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "costmodel/chunk_latency.hpp"
#include "costmodel/csv_table.hpp"

namespace corey::costmodel {

struct LabelledValue {
  std::string label;
  double value = 0.0;
  std::string description;
};

// H_ref ablation (PAPER.md §4.5): the chunk rule (a) for each (entropy scenario, H_ref), the latency the
// table gives that chunk and the speed-up over static chunk 64. Table `href_ablation`.
struct HrefAblationConfig {
  std::vector<LabelledValue> entropies;  // the scenarios' H (nats)
  std::vector<LabelledValue> h_refs;
  LatencyTable latency_table = paper_rtx3070_latency_table();
  int baseline_chunk = 64;
};
HrefAblationConfig paper_href_ablation();
CsvTable run_href_ablation(const HrefAblationConfig& config);

// Bin-count sensitivity (PAPER.md §4.6): histogram entropy of `samples` draws over [min, max] for each K,
// and the chunks chosen at H_ref = ln K and H_ref = 8. Table `bin_count_sensitivity`.
struct BinSensitivityConfig {
  std::vector<int> ks = {16, 32, 64, 128, 256, 512, 1024, 2048};
  std::vector<std::string> distributions = {"standard_normal", "uniform_unit"};
  std::size_t samples = 1000000;
  std::uint64_t seed = 20260417;
  double fixed_h_ref = 8.0;
  LatencyTable latency_table = paper_rtx3070_latency_table();
};
CsvTable run_bin_sensitivity(const BinSensitivityConfig& config);

// "Exp A" (PAPER.md §3.11): launch counts of no-fusion, static (groups of 3) and entropy-guided fusion on
// synthetic chains, the surrogate latency launches × launch_ms, and the mean wall time of the solver.
// Table `fused_kernel_sweep`; its last column, the COREY/static launch ratio, is corey's addition (F17).
struct FusedKernelSweepConfig {
  std::vector<std::pair<int, std::string>> chains = {{4, "low"},   {4, "mixed"},  {4, "high"},  {8, "low"},
                                                     {8, "mixed"}, {8, "high"},   {16, "low"},  {16, "mixed"},
                                                     {16, "high"}, {32, "mixed"}, {64, "mixed"}};
  double tau = 0.5;
  double launch_ms = 0.413;
  int solver_repeats = 200;
};
CsvTable run_fused_kernel_sweep(const FusedKernelSweepConfig& config);

}  // namespace corey::costmodel
