#include "costmodel/fusion.hpp"

#include <algorithm>
#include <cmath>

#include "costmodel/python_numeric.hpp"

namespace corey::costmodel {
namespace {

double mean_entropy(const std::vector<const OperatorSpec*>& operators) {
  ExactSum sum;
  for (const auto* op : operators) sum.add(op->entropy);
  return sum.mean(operators.size());
}

double sum_ai(const std::vector<const OperatorSpec*>& operators) {
  double total = 0.0;
  for (const auto* op : operators) total += op->arithmetic_intensity;
  return total;
}

double sum_memory(const std::vector<const OperatorSpec*>& operators) {
  double total = 0.0;
  for (const auto* op : operators) total += op->memory_traffic;
  return total;
}

double normalize(double value, double lower, double upper) {
  if (upper <= lower) return 0.5;
  return std::max(0.0, std::min(1.0, (value - lower) / (upper - lower)));
}

template <typename Field>
std::pair<double, double> bounds(const Chain& chain, Field field) {
  double lo = field(chain.front());
  double hi = lo;
  for (const auto& op : chain) {
    lo = std::min(lo, field(op));
    hi = std::max(hi, field(op));
  }
  return {lo, hi};
}

FusionGroup make_group(const Chain& chain, std::vector<const OperatorSpec*> operators,
                       const ResourceModel& resources, const FusionWeights& weights) {
  FusionGroup group;
  group.score = fusion_score(chain, operators, weights);
  group.feasible = is_feasible(operators, resources);
  group.operators = std::move(operators);
  return group;
}

}  // namespace

double FusionGroup::entropy() const { return mean_entropy(operators); }
double FusionGroup::arithmetic_intensity() const { return sum_ai(operators); }
double FusionGroup::memory_traffic() const { return sum_memory(operators); }

double FusionGroup::occupancy() const {
  double lowest = operators.front()->occupancy;
  for (const auto* op : operators) lowest = std::min(lowest, op->occupancy);
  return lowest;
}

int FusionGroup::register_cost() const {
  int total = 0;
  for (const auto* op : operators) total += op->register_cost;
  return total;
}

int FusionGroup::shared_memory_cost() const {
  int total = 0;
  for (const auto* op : operators) total += op->shared_memory_cost;
  return total;
}

bool is_feasible(const std::vector<const OperatorSpec*>& operators, const ResourceModel& resources) {
  int registers = 0;
  int shared = 0;
  double occupancy = operators.front()->occupancy;
  for (const auto* op : operators) {
    registers += op->register_cost;
    shared += op->shared_memory_cost;
    occupancy = std::min(occupancy, op->occupancy);
  }
  return registers <= resources.max_registers && shared <= resources.max_shared_memory &&
         occupancy >= resources.min_occupancy;
}

double fusion_score(const Chain& chain, const std::vector<const OperatorSpec*>& operators,
                    const FusionWeights& weights) {
  const auto [e_lo, e_hi] = bounds(chain, [](const OperatorSpec& op) { return op.entropy; });
  const auto [a_lo, a_hi] = bounds(chain, [](const OperatorSpec& op) { return op.arithmetic_intensity; });
  const auto [m_lo, m_hi] = bounds(chain, [](const OperatorSpec& op) { return op.memory_traffic; });
  const int depth = static_cast<int>(operators.size());
  const double arithmetic_signal = sum_ai(operators) / std::sqrt(static_cast<double>(depth));
  const double memory_signal = sum_memory(operators) / std::pow(static_cast<double>(depth), 1.15);
  const double depth_bonus = std::min(0.18 * (depth - 1), 0.36);
  return weights.alpha * normalize(mean_entropy(operators), e_lo, e_hi) +
         weights.beta * normalize(arithmetic_signal, a_lo, a_hi) -
         weights.gamma * normalize(memory_signal, m_lo, m_hi) + depth_bonus;
}

Schedule no_fusion_schedule(const Chain& chain) {
  Schedule groups;
  for (const auto& op : chain) groups.push_back(FusionGroup{{&op}, 0.0, true});
  return groups;
}

Schedule static_fusion_schedule(const Chain& chain, const ResourceModel& resources, int group_size,
                                const FusionWeights& weights) {
  Schedule groups;
  std::size_t start = 0;
  while (start < chain.size()) {
    std::size_t end = std::min(start + static_cast<std::size_t>(group_size), chain.size());
    std::vector<const OperatorSpec*> operators;
    for (std::size_t i = start; i < end; ++i) operators.push_back(&chain[i]);
    while (operators.size() > 1 && !is_feasible(operators, resources)) {
      operators.pop_back();
      --end;
    }
    groups.push_back(make_group(chain, std::move(operators), resources, weights));
    start = end;
  }
  return groups;
}

Schedule entropy_guided_schedule(const Chain& chain, double tau, const ResourceModel& resources,
                                 const FusionWeights& weights) {
  Schedule groups;
  std::vector<const OperatorSpec*> current;
  for (const auto& op : chain) {
    auto candidate = current;
    candidate.push_back(&op);
    if (fusion_score(chain, candidate, weights) > tau && is_feasible(candidate, resources)) {
      current = std::move(candidate);
      continue;
    }
    if (!current.empty()) groups.push_back(make_group(chain, std::move(current), resources, weights));
    current = {&op};
  }
  if (!current.empty()) groups.push_back(make_group(chain, std::move(current), resources, weights));
  return groups;
}

double average_depth(const Schedule& schedule) {
  if (schedule.empty()) return 0.0;
  ExactSum sum;
  for (const auto& g : schedule) sum.add(g.depth());
  return sum.mean(schedule.size());
}

}  // namespace corey::costmodel
