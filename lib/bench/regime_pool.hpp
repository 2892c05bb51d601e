#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace corey::bench {

// The eight serving regimes of the mixed-regime study, in pool order (PAPER.md §6.7).
const std::vector<std::string>& regime_names();

// One record of a mixed-regime prompt pool.
struct RegimePrompt {
  std::string id;      // "<regime>:<i, 3 digits>" in a generated pool
  std::string regime;
  std::string prompt;
  std::int64_t chars = 0;   // Unicode code points of the prompt (Python len())
  std::int64_t sample = 0;  // position among the pool's records of the same regime (i of the generator)
  std::int64_t line = 0;    // 1-based line of the JSONL file it was read from (0 when generated)
};

// The authors' seeded pool (`run_mixed_regime_discovery.py --mode prompt_pool`), byte for byte: one
// Python random.Random(seed) consumed in record order, i = 0..samples_per_regime−1 outer, the eight
// regimes inner. Throws corey::Error (usage) when samples_per_regime < 1.
std::vector<RegimePrompt> generate_regime_pool(std::int64_t samples_per_regime, std::int64_t seed);

// A string as Python's json.dumps(s, ensure_ascii=False) writes it, quotes included.
std::string python_json_string(std::string_view text);

// The pool as the authors' JSONL file: one json.dumps(record, ensure_ascii=False) line per record
// ({"id", "regime", "prompt", "chars"} with ", " / ": " separators), each ended by "\n".
std::string regime_pool_jsonl(const std::vector<RegimePrompt>& pool);

// SHA-256 (hex) of every prompt's UTF-8 bytes followed by one 0x00 byte, in pool order.
std::string regime_pool_prompt_sha256(const std::vector<RegimePrompt>& pool);

// The golden digests of the authors' pool (samples_per_regime 20, seed 1234; PAPER.md §6.7).
inline constexpr std::string_view kPaperPoolPromptSha256 =
    "32ad055c2e55bfb077fa8fc4c845af2cebe224197428087ec36d0d401bec8284";
inline constexpr std::string_view kPaperPoolJsonlSha256 =
    "475531fa10a65e8cbc0c9829962ba85a3fade299d34061681a7107e2b66e3072";

// Reads a pool JSONL text (`source` names it in messages). Each non-blank line must be a JSON object with
// string `id`, `regime` and `prompt` (well-formed UTF-8) and, when present, an integer `chars` equal to the
// prompt's code points; other keys are ignored; ids must be unique. Every bad line is reported in one
// corey::Error (usage) as source:line: reason. An empty pool is an error.
std::vector<RegimePrompt> parse_regime_pool(std::string_view text, const std::string& source);

// parse_regime_pool of a file; a file that cannot be read is an io error.
std::vector<RegimePrompt> load_regime_pool(const std::string& path);

}  // namespace corey::bench
