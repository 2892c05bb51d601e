#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "model/model_runner.hpp"

namespace corey::experiments {

// One sample of the routed tier: a full greedy generate (prefill + decode), timed in parts (F14).
struct GenerateSample {
  std::vector<std::int32_t> new_ids;
  double total_s = 0;
  double prefill_s = 0;  // time to first token: prefill and the first argmax
  double decode_s = 0;   // the decode steps after it
  std::int64_t decode_steps = 0;
  std::vector<model::LayerScanRecord> scans;  // the prefill's per-layer scans
  std::vector<std::vector<float>> step_logits;  // with keep_logits: the logits each new token was chosen from
};

// Greedy generation exactly as model::generate_greedy (argmax, first index on ties; `new_tokens` tokens,
// one decode step fewer), timed with the steady clock. `new_tokens` ≥ 1.
GenerateSample timed_generate(model::ModelRunner& runner, std::span<const std::int32_t> prompt,
                              std::int64_t new_tokens, const model::PrefillOptions& options, bool keep_logits);

}  // namespace corey::experiments
