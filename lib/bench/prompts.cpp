#include "bench/prompts.hpp"

#include "core/error.hpp"
#include "core/sha256.hpp"

namespace corey::bench {

const std::string_view kDefaultPrompt =
    "Selective state space models maintain a compact hidden state and process sequences with linear complexity.  "
    "The Mamba architecture uses input-dependent transitions to selectively retain or discard information.  "
    "COREY estimates Shannon entropy over post-conv hidden states and schedules kernel chunk sizes accordingly.  "
    "The scheduler operates on the critical path of the forward pass, computing a 256-bin histogram and mapping "
    "entropy to a power-of-two chunk size via a log-scale rule calibrated to the theoretical maximum entropy of the "
    "histogram.  This eliminates the need for offline profiling while achieving the same chunk selection as the "
    "one-time oracle.";

std::string default_prompt() {
  const std::string digest = sha256_hex(kDefaultPrompt);
  if (digest != kDefaultPromptSha256)
    throw_usage_error("DEFAULT_PROMPT has SHA-256 " + digest + ", expected " + std::string(kDefaultPromptSha256));
  return std::string(kDefaultPrompt);
}

std::string repeat_prompt(std::string_view text, std::int64_t k) {
  if (k < 1) throw_usage_error("prompt repeat must be >= 1, got " + std::to_string(k));
  std::string out;
  out.reserve(static_cast<std::size_t>(k) * (text.size() + 1));
  for (std::int64_t i = 0; i < k; ++i) {
    if (i) out.push_back(' ');
    out += text;
  }
  return out;
}

std::string_view to_string(Truncation truncation) { return truncation == Truncation::right ? "right" : "middle"; }

Truncation truncation_from_string(std::string_view name) {
  if (name == "right") return Truncation::right;
  if (name == "middle") return Truncation::middle;
  throw_usage_error("unknown truncation '" + std::string(name) + "' (expected right or middle)");
}

TruncatedIds truncate_ids(std::span<const std::int32_t> ids, std::int64_t max_tokens, Truncation truncation) {
  if (max_tokens < 1) throw_usage_error("max_tokens must be >= 1, got " + std::to_string(max_tokens));
  TruncatedIds out;
  const auto n = static_cast<std::int64_t>(ids.size());
  out.original_tokens = n;
  if (n <= max_tokens) {
    out.ids.assign(ids.begin(), ids.end());
    return out;
  }
  if (truncation == Truncation::right || max_tokens < 2) {
    // max_tokens 1 has no halves to keep: the first token.
    out.ids.assign(ids.begin(), ids.begin() + max_tokens);
  } else {
    const std::int64_t half = max_tokens / 2;
    out.ids.assign(ids.begin(), ids.begin() + half);
    out.ids.insert(out.ids.end(), ids.end() - half, ids.end());
  }
  out.dropped_tokens = n - static_cast<std::int64_t>(out.ids.size());
  return out;
}

}  // namespace corey::bench
