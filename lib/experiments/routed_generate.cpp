#include "experiments/routed_generate.hpp"

#include <chrono>

#include "core/error.hpp"
#include "model/generation.hpp"

namespace corey::experiments {

GenerateSample timed_generate(model::ModelRunner& runner, std::span<const std::int32_t> prompt,
                              std::int64_t new_tokens, const model::PrefillOptions& options, bool keep_logits) {
  using Clock = std::chrono::steady_clock;
  if (new_tokens < 1) throw_usage_error("new_tokens must be >= 1");
  const auto seconds = [](Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
  model::PrefillOptions prefill_options = options;
  prefill_options.all_logits = false;
  GenerateSample sample;
  const Clock::time_point t0 = Clock::now();
  model::PrefillResult prefill = runner.prefill(prompt, prefill_options);
  std::int32_t next = model::argmax(prefill.logits);
  const Clock::time_point t1 = Clock::now();
  sample.new_ids.push_back(next);
  if (keep_logits) sample.step_logits.push_back(std::move(prefill.logits));
  for (std::int64_t i = 1; i < new_tokens; ++i) {
    std::vector<float> logits = runner.decode_step(next);
    next = model::argmax(logits);
    sample.new_ids.push_back(next);
    if (keep_logits) sample.step_logits.push_back(std::move(logits));
  }
  const Clock::time_point t2 = Clock::now();
  sample.prefill_s = seconds(t0, t1);
  sample.decode_s = seconds(t1, t2);
  sample.total_s = seconds(t0, t2);
  sample.decode_steps = new_tokens - 1;
  sample.scans = std::move(prefill.scans);
  return sample;
}

}  // namespace corey::experiments
