#include "experiments/costmodel_tier.hpp"
#include "experiments/kernel_sweep_tier.hpp"
#include "experiments/mixed_regime_tier.hpp"
#include "experiments/routed_ablation_tier.hpp"
#include "experiments/tier.hpp"

namespace corey::experiments {

std::unique_ptr<Tier> make_tier(std::string_view experiment) {
  if (experiment == "costmodel") return make_costmodel_tier();
  if (experiment == "kernel-sweep") return make_kernel_sweep_tier();
  if (experiment == "routed-ablation") return make_routed_ablation_tier();
  if (experiment == "mixed-regime") return make_mixed_regime_tier();
  return nullptr;
}

}  // namespace corey::experiments
