#pragma once
#include <memory>

#include "experiments/tier.hpp"

namespace corey::experiments {

// Tier 2, `kernel-sweep` (PAPER.md §4, KERNELS.md §7, HARNESS.md §2.6): one selective-scan call per point
// (shape, dtype, chunk mode, chunk size or policy, activation source), timed under the spec's measure
// rules, verified against the fp64 oracle (and bitwise against the single call where the mode promises
// it), with its chunk report; policy rows add the entropy and the rule's decision. This build's backend is
// the CPU (impl `cpu`); points for GPU implementations are skipped with a reason.
std::unique_ptr<Tier> make_kernel_sweep_tier();

}  // namespace corey::experiments
