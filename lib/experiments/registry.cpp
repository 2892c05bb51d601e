#include "experiments/tier.hpp"

namespace corey::experiments {

std::unique_ptr<Tier> make_tier(std::string_view experiment) {
  (void)experiment;
  return nullptr;
}

}  // namespace corey::experiments
