#pragma once
#include <cstddef>
#include <vector>

namespace corey::experiments {

// The execution order of one round of an interleaved study (HARNESS.md §4.8): every cell once, round r
// starting at cell r mod P and wrapping (a cyclic Latin square over P consecutive rounds), so drift hits
// every cell equally and sample r of every cell comes from the same round. `cells` ≥ 1.
std::vector<std::size_t> rotated_round_order(std::size_t cells, std::size_t round);

}  // namespace corey::experiments
