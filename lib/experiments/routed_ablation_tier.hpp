#pragma once
#include <memory>

#include "experiments/model_cache.hpp"
#include "experiments/tier.hpp"

namespace corey::experiments {

// Tier 3, `routed-ablation` (PAPER.md §2.4–2.5, §6; HARNESS.md §2.6): a Mamba LM generates greedily with a
// per-layer chunk scheduler. `study: matrix | conditions` runs every scheduler row under the passive,
// active-only and routed conditions in ONE point (one process, one model load), interleaved in rotated
// rounds, and reports latency (total, time to first token, decode per token) with CIs, ratios to passive
// and to the held-out best static row, decision histograms, output equivalence and the honoured-chunk
// check of every scan call. `study: quality` compares passive and routed generation on LongBench prompts
// (task metrics, deltas, perplexity on the reference). `device_<row>` rows let the model backend evaluate the
// row's statistic and rule itself (no host sync on CUDA). With --backend cuda the model runner comes from
// DeviceHooks::make_model_runner (points are skipped with a reason in a build without one); the model is
// loaded once and kept across the points of a run.
std::unique_ptr<Tier> make_routed_ablation_tier();

// The same tier with every model runner it builds wrapped, for tests that must see a run fail (a wrapper
// whose scan ignores the requested chunk makes every routed point end `chunk_not_honoured`).
std::unique_ptr<Tier> make_routed_ablation_tier(RunnerWrapper wrapper);

}  // namespace corey::experiments
