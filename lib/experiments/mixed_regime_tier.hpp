#pragma once
#include <memory>

#include "experiments/tier.hpp"

namespace corey::experiments {

// Tier 3 study `mixed-regime` (PAPER.md §6.7–6.9, HARNESS.md §2.6). One point per study:
//   pool          the seeded 8-regime prompt pool (or a user's JSONL) with its digests, checked against the
//                 authors' SHA-256 when generated with their parameters; emits the JSONL as the artifact `pool.jsonl`;
//   feature-scan  every mode (scheduler row) on every selected prompt, active-only: chosen chunks, entropy
//                 mean / spread, diversity per (mode, regime) and the paper's GO/STOP rule;
//   static-sweep  every selected prompt under every static chunk and policy, routed, interleaved in rotated
//                 rounds in one process with the honoured-chunk check: per-regime latencies, the per-regime
//                 oracle, the global best static chunk and a sequence-length rule chosen on the fit prompts and
//                 evaluated on the held-out ones, equal- and traffic-weighted, with CIs; emits the fitted rule as
//                 the artifact `learned_table.json`, which routed-ablation reads.
// The model runs on the CPU runner or, with --backend cuda, on the CUDA runner (host rows' statistics of
// device-memory activations through the backend's stats op), as in routed-ablation.
std::unique_ptr<Tier> make_mixed_regime_tier();

}  // namespace corey::experiments
