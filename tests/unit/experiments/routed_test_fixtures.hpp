#pragma once
// Fixtures of the routed tests that run the CPU model runner: the tiny numpy checkpoint under
// tests/data/model/np_tied (a byte vocabulary), prompts of any length for it, a fixed number of rounds and a
// matrix configuration sized for it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/prompts.hpp"
#include "experiments/routed_matrix.hpp"
#include "stats/measure_config.hpp"

namespace corey::test {

inline const std::string kTinyCheckpoint = std::string(COREY_TEST_DATA_DIR) + "/model/np_tied";

// `n` byte ids of the default prompt, repeated as often as needed.
inline std::vector<std::int32_t> tiny_prompt_ids(std::size_t n) {
  const std::string text = bench::default_prompt();
  std::vector<std::int32_t> ids;
  for (std::size_t i = 0; i < n; ++i) ids.push_back(static_cast<unsigned char>(text[i % text.size()]));
  return ids;
}

// Exactly `rounds` measured rounds after `warmups` warm-up rounds (criterion sample_count).
inline stats::MeasureConfig fixed_rounds(std::size_t warmups, std::size_t rounds) {
  stats::MeasureConfig m;
  m.warmup_runs = warmups;
  m.samples_min = m.samples_max = rounds;
  m.criterion = stats::StopCriterion::sample_count;
  return m;
}

// The matrix of `rows` on short prompts: adaptive rows between 16 and `c_max`, a guard fallback of 32 (both
// below the prompts' lengths, so decisions are real chunks), one warm-up and `rounds` measured rounds.
inline experiments::MatrixConfig tiny_matrix_config(std::vector<std::string> rows, std::int64_t c_max, std::size_t rounds) {
  experiments::MatrixConfig c;
  c.rows = std::move(rows);
  c.scheduler.c_min = 16;
  c.scheduler.c_max = c_max;
  c.scheduler.guard_fallback = 32;
  c.measure = fixed_rounds(1, rounds);
  return c;
}

}  // namespace corey::test
