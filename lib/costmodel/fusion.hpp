#pragma once
#include <string>
#include <vector>

namespace corey::costmodel {

struct OperatorSpec {
  std::string name;
  double entropy = 0.0;
  double arithmetic_intensity = 0.0;
  double memory_traffic = 0.0;
  int register_cost = 0;
  int shared_memory_cost = 0;
  double occupancy = 0.0;
};

struct ResourceModel {
  double max_registers = 0.0;
  double max_shared_memory = 0.0;
  double min_occupancy = 0.0;
};

struct FusionWeights {
  double alpha = 0.45;
  double beta = 0.35;
  double gamma = 0.20;
};

// A run of consecutive operators of the chain fused into one kernel (PAPER.md §3.5).
struct FusionGroup {
  std::vector<const OperatorSpec*> operators;
  double score = 0.0;
  bool feasible = true;

  int depth() const { return static_cast<int>(operators.size()); }
  double entropy() const;                // statistics.mean of the operator entropies
  double arithmetic_intensity() const;   // Python sum, left to right
  double memory_traffic() const;
  double occupancy() const;              // min
  int register_cost() const;
  int shared_memory_cost() const;
};

using Chain = std::vector<OperatorSpec>;
using Schedule = std::vector<FusionGroup>;

bool is_feasible(const std::vector<const OperatorSpec*>& operators, const ResourceModel& resources);

// S(g) = α·norm_E(mean entropy) + β·norm_AI(ΣAI/√d) − γ·norm_mem(Σmem/d^1.15) + min(0.18(d−1), 0.36),
// normalized by the min/max of each field over the whole chain.
double fusion_score(const Chain& chain, const std::vector<const OperatorSpec*>& operators,
                    const FusionWeights& weights);

Schedule no_fusion_schedule(const Chain& chain);
Schedule static_fusion_schedule(const Chain& chain, const ResourceModel& resources, int group_size,
                                const FusionWeights& weights);
// Greedy entropy-guided grouping: extend the current group while its score exceeds τ and it stays feasible.
Schedule entropy_guided_schedule(const Chain& chain, double tau, const ResourceModel& resources,
                                 const FusionWeights& weights);

// Mean group depth as a float (the authors' _average_depth).
double average_depth(const Schedule& schedule);

}  // namespace corey::costmodel
