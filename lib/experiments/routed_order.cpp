#include "experiments/routed_order.hpp"

namespace corey::experiments {

std::vector<std::size_t> rotated_round_order(std::size_t cells, std::size_t round) {
  std::vector<std::size_t> order(cells);
  for (std::size_t k = 0; k < cells; ++k) order[k] = (round + k) % cells;
  return order;
}

}  // namespace corey::experiments
