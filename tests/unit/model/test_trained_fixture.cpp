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

// The tiny byte-level Mamba trained on the King James Bible by tools/model/train_tiny_byte_mamba.py on the GPU
// machine, with transformers' CPU logits of a held-out prompt and its greedy continuation. A trained model
// has realistic activations (sharp distributions, small top-1 margins), which random fixtures lack.
TEST_CASE("CPU runner reproduces transformers on the trained byte-level model", "[model][hf][trained]") {
  const fs::path dir = fs::path(COREY_TEST_DATA_DIR) / "tiny_byte_kjv";
  const Json ref = Json::parse(read_file((dir / "reference.json").string()));
  const core::NpyArray logits = core::read_npy((dir / "logits.npy").string());
  REQUIRE(logits.dtype == DType::f32);
  CpuModelRunner runner(load_weights(dir.string()), 2);
  REQUIRE(runner.config().vocab_size == 256);
  const auto V = static_cast<std::size_t>(runner.config().vocab_size);
  const auto prompt = ref["prompt_ids"].get<std::vector<std::int32_t>>();
  REQUIRE(logits.shape == std::vector<std::int64_t>{static_cast<std::int64_t>(prompt.size()), 256});

  const PrefillResult got = runner.prefill(prompt, PrefillOptions{});
  const auto* want = static_cast<const float*>(logits.data());
  double max_err = 0.0;
  for (std::size_t i = 0; i < prompt.size() * V; ++i)
    max_err = std::max(max_err, std::abs(static_cast<double>(got.logits[i]) - want[i]));
  CAPTURE(max_err);
  CHECK(max_err <= 1e-4);

  const auto want_ids = ref["greedy_new_ids"].get<std::vector<std::int32_t>>();
  const GenerationResult gen =
      generate_greedy(runner, prompt, static_cast<std::int64_t>(want_ids.size()), PrefillOptions{});
  CHECK(gen.new_ids == want_ids);
}
