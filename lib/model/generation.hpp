#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "model/model_runner.hpp"

namespace corey::model {

struct GenerationResult {
  std::vector<std::int32_t> new_ids;
  std::vector<float> prompt_logits;  // (prompt length, V) when asked for, else empty
  std::vector<LayerScanRecord> prefill_scans;
};

// Greedy decoding (KERNELS.md §3.1 step 5): one prefill over the prompt (where the chunk hook acts), then
// one decode step per new token; each new token is the argmax over all V logits (the first index on ties,
// as torch.argmax). Exactly `new_tokens` tokens are produced (no stop at EOS).
GenerationResult generate_greedy(ModelRunner& runner, std::span<const std::int32_t> prompt, std::int64_t new_tokens,
                                 const PrefillOptions& options, bool keep_prompt_logits = false);

struct Perplexity {
  double mean_nll = 0.0;      // nats per predicted token
  double perplexity = 0.0;    // exp(mean_nll)
  std::int64_t predicted = 0; // tokens scored: length − 1
};

// Teacher-forced perplexity of `ids` from one prefill (log-softmax in double). Needs at least two tokens.
Perplexity perplexity(ModelRunner& runner, std::span<const std::int32_t> ids, const PrefillOptions& options);

std::int32_t argmax(std::span<const float> logits);

}  // namespace corey::model
