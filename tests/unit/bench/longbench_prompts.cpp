// DEFAULT_PROMPT, its repetition and the two truncations (PAPER.md §2.5, §7.1, F13).
#include <numeric>
#include <vector>

#include "bench/prompts.hpp"
#include "catch.hpp"
#include "core/error.hpp"

using namespace corey;
using namespace corey::bench;

TEST_CASE("DEFAULT_PROMPT has the paper's length and SHA-256", "[bench][prompts]") {
  const std::string prompt = default_prompt();
  CHECK(prompt.size() == 660);  // PAPER.md §2.5
  CHECK(kDefaultPromptSha256 == "74aebf827237d896fa2af57600ce0de9a2ff786db38380f69483c8803a2d22b8");
  CHECK(prompt.find(".  The Mamba") != std::string::npos);  // two spaces after each full stop
  CHECK(repeat_prompt(prompt, 8).size() == 5287);           // PAPER.md §2.5: k = 8
  CHECK(repeat_prompt("ab", 3) == "ab ab ab");
  CHECK_THROWS_AS(repeat_prompt("ab", 0), Error);
}

TEST_CASE("right truncation keeps the head, middle truncation both ends", "[bench][prompts]") {
  std::vector<std::int32_t> ids(10);
  std::iota(ids.begin(), ids.end(), 0);
  const auto right = truncate_ids(ids, 4, Truncation::right);
  CHECK(right.ids == std::vector<std::int32_t>{0, 1, 2, 3});
  CHECK(right.dropped_tokens == 6);
  const auto middle = truncate_ids(ids, 4, Truncation::middle);
  CHECK(middle.ids == std::vector<std::int32_t>{0, 1, 8, 9});
  const auto odd = truncate_ids(ids, 5, Truncation::middle);  // LongBench pred.py: int(max/2) per side
  CHECK(odd.ids == std::vector<std::int32_t>{0, 1, 8, 9});
  CHECK(odd.original_tokens == 10);
  CHECK(truncate_ids(ids, 10, Truncation::middle).ids == ids);
  CHECK(truncate_ids(ids, 1, Truncation::middle).ids == std::vector<std::int32_t>{0});
  CHECK(truncation_from_string("middle") == Truncation::middle);
  CHECK_THROWS_AS(truncation_from_string("left"), Error);
  CHECK_THROWS_AS(truncate_ids(ids, 0, Truncation::right), Error);
}
