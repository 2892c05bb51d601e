#include "model/generation.hpp"

#include <cmath>

#include "core/error.hpp"

namespace corey::model {

std::int32_t argmax(std::span<const float> logits) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < logits.size(); ++i) {
    if (logits[i] > logits[best]) best = i;
  }
  return static_cast<std::int32_t>(best);
}

GenerationResult generate_greedy(ModelRunner& runner, std::span<const std::int32_t> prompt, std::int64_t new_tokens,
                                 const PrefillOptions& options, bool keep_prompt_logits) {
  if (new_tokens < 0) throw Error(ErrorKind::usage, "the number of new tokens must be >= 0");
  PrefillOptions prefill_options = options;
  prefill_options.all_logits = keep_prompt_logits;
  PrefillResult prefill = runner.prefill(prompt, prefill_options);
  const auto V = static_cast<std::size_t>(runner.config().vocab_size);
  GenerationResult result;
  result.prefill_scans = std::move(prefill.scans);
  std::vector<float> last(prefill.logits.end() - static_cast<std::ptrdiff_t>(V), prefill.logits.end());
  if (keep_prompt_logits) result.prompt_logits = std::move(prefill.logits);
  for (std::int64_t i = 0; i < new_tokens; ++i) {
    const std::int32_t next = argmax(last);
    result.new_ids.push_back(next);
    if (i + 1 < new_tokens) last = runner.decode_step(next);
  }
  return result;
}

Perplexity perplexity(ModelRunner& runner, std::span<const std::int32_t> ids, const PrefillOptions& options) {
  if (ids.size() < 2) throw Error(ErrorKind::usage, "perplexity needs at least two tokens");
  PrefillOptions o = options;
  o.all_logits = true;
  const PrefillResult prefill = runner.prefill(ids, o);
  const auto V = static_cast<std::size_t>(runner.config().vocab_size);
  double total = 0.0;
  for (std::size_t t = 0; t + 1 < ids.size(); ++t) {
    const float* row = prefill.logits.data() + t * V;
    double max = row[0];
    for (std::size_t v = 1; v < V; ++v) max = std::max(max, static_cast<double>(row[v]));
    double sum = 0.0;
    for (std::size_t v = 0; v < V; ++v) sum += std::exp(static_cast<double>(row[v]) - max);
    total += max + std::log(sum) - static_cast<double>(row[static_cast<std::size_t>(ids[t + 1])]);
  }
  Perplexity p;
  p.predicted = static_cast<std::int64_t>(ids.size()) - 1;
  p.mean_nll = total / static_cast<double>(p.predicted);
  p.perplexity = std::exp(p.mean_nll);
  return p;
}

}  // namespace corey::model
