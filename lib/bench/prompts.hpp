#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace corey::bench {

// The routed harness's DEFAULT_PROMPT (PAPER.md §2.5): 660 characters, two spaces after each full stop.
extern const std::string_view kDefaultPrompt;
// SHA-256 of its UTF-8 bytes as the paper gives it; default_prompt() checks the text against it.
inline constexpr std::string_view kDefaultPromptSha256 = "74aebf827237d896fa2af57600ce0de9a2ff786db38380f69483c8803a2d22b8";

// The default prompt after checking its SHA-256 (throws corey::Error (usage) if the text was altered).
std::string default_prompt();

// `--prompt-repeat k`: k copies joined with single spaces (k ≥ 1, else corey::Error (usage)).
std::string repeat_prompt(std::string_view text, std::int64_t k);

// How a prompt longer than the token budget is cut (PAPER.md §7.1, F13).
enum class Truncation {
  right,   // keep the first max_tokens (the authors' tokenizer truncation: a question at the end is lost)
  middle,  // keep the first and the last max_tokens / 2 (integer division), as LongBench's pred.py does
};

std::string_view to_string(Truncation truncation);
Truncation truncation_from_string(std::string_view name);  // throws corey::Error (usage)

struct TruncatedIds {
  std::vector<std::int32_t> ids;
  std::int64_t original_tokens = 0;
  std::int64_t dropped_tokens = 0;
};

// Cuts `ids` to at most `max_tokens` (≥ 1) tokens; shorter inputs are returned unchanged.
TruncatedIds truncate_ids(std::span<const std::int32_t> ids, std::int64_t max_tokens, Truncation truncation);

}  // namespace corey::bench
