#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "catch.hpp"
#include "core/atomic_file.hpp"
#include "core/json.hpp"
#include "core/npy.hpp"
#include "model/checkpoint.hpp"
#include "model/cpu_model_runner.hpp"
#include "model/generation.hpp"

using namespace corey;
using namespace corey::model;
namespace fs = std::filesystem;

// Fixtures written by tools/model/make_hf_fixtures.py with transformers (on the GPU machine) and copied to
// tests/data/model_hf/<name>/. Done-when 1 of issue 6: logits within 1e-4 abs for prompt lengths 1…300 and
// identical greedy ids.
TEST_CASE("CPU logits and greedy ids match transformers' MambaForCausalLM", "[model][hf]") {
  const fs::path root = fs::path(COREY_TEST_DATA_DIR) / "model_hf";
  std::vector<fs::path> dirs;
  if (fs::is_directory(root)) {
    for (const auto& entry : fs::directory_iterator(root)) {
      if (fs::exists(entry.path() / "reference.json")) dirs.push_back(entry.path());
    }
  }
  if (dirs.empty()) {
    WARN("skipped: no transformers fixtures in " + root.string() +
         " (write them with tools/model/make_hf_fixtures.py on a machine with transformers)");
    return;
  }
  std::sort(dirs.begin(), dirs.end());
  CHECK(dirs.size() >= 2);
  bool saw_tied = false, saw_untied = false;
  for (const fs::path& dir : dirs) {
    CAPTURE(dir.string());
    const Json ref = Json::parse(read_file((dir / "reference.json").string()));
    const core::NpyArray logits = core::read_npy((dir / "logits.npy").string());
    REQUIRE(logits.dtype == DType::f32);
    MambaWeights weights = load_weights(dir.string());
    (weights.lm_head.empty() ? saw_tied : saw_untied) = true;
    CpuModelRunner runner(std::move(weights), 2);
    const auto V = static_cast<std::size_t>(runner.config().vocab_size);
    const auto prompt = ref["prompt"].get<std::vector<std::int32_t>>();
    REQUIRE(logits.shape == std::vector<std::int64_t>{static_cast<std::int64_t>(prompt.size()), static_cast<std::int64_t>(V)});
    const auto* want = static_cast<const float*>(logits.data());
    for (const std::size_t length : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{33},
                                     std::size_t{128}, prompt.size()}) {
      CAPTURE(length);
      const PrefillResult got = runner.prefill(std::span<const std::int32_t>(prompt.data(), length), PrefillOptions{});
      double max_err = 0.0;
      for (std::size_t i = 0; i < length * V; ++i)
        max_err = std::max(max_err, std::abs(static_cast<double>(got.logits[i]) - want[i]));
      CAPTURE(max_err);
      CHECK(max_err <= 1e-4);
    }
    const auto greedy_prompt = ref["greedy_prompt"].get<std::vector<std::int32_t>>();
    const auto want_ids = ref["greedy_new_ids"].get<std::vector<std::int32_t>>();
    const GenerationResult gen =
        generate_greedy(runner, greedy_prompt, static_cast<std::int64_t>(want_ids.size()), PrefillOptions{});
    CHECK(gen.new_ids == want_ids);
  }
  CHECK(saw_tied);
  CHECK(saw_untied);
}
