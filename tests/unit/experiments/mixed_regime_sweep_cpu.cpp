// The mixed-regime sweep and feature scan on the tiny numpy checkpoint: every (prompt, arm) cell in every
// round, in the rotated order of HARNESS.md §4.8, honoured chunks on every scan call; a runner that ignores the
// requested chunk is caught (F8); the feature scan decides every layer but runs the whole prompt.
#include <string>
#include <vector>

#include "bench/prompts.hpp"
#include "catch.hpp"
#include "experiments/mixed_regime_scan.hpp"
#include "experiments/mixed_regime_sweep.hpp"
#include "model/checkpoint.hpp"
#include "model/cpu_model_runner.hpp"
#include "routed_test_runners.hpp"

using namespace corey;
using namespace corey::experiments;

namespace {

const std::string kTiny = std::string(COREY_TEST_DATA_DIR) + "/model/np_tied";

RegimeCell cell(const std::string& regime, std::size_t tokens, bool fit) {
  const std::string text = bench::default_prompt();
  RegimeCell c;
  c.id = regime + ":000";
  c.regime = regime;
  for (std::size_t i = 0; i < tokens; ++i) c.ids.push_back(static_cast<unsigned char>(text[i % text.size()]));
  c.original_tokens = static_cast<std::int64_t>(tokens);
  c.fit = fit;
  c.holdout = !fit;
  return c;
}

SweepConfig small_config(std::vector<std::int64_t> chunks, std::vector<std::string> policies) {
  SweepConfig c;
  c.chunks = std::move(chunks);
  c.policies = std::move(policies);
  c.scheduler.c_min = 16;
  c.scheduler.c_max = 64;
  c.scheduler.guard_fallback = 32;
  c.new_tokens = 2;
  c.measure.warmup_runs = 1;
  c.measure.samples_min = 3;
  c.measure.samples_max = 3;
  c.measure.criterion = stats::StopCriterion::sample_count;
  return c;
}

}  // namespace

TEST_CASE("sweep: every cell every round, honoured chunks, static arms decide their chunk", "[mixed_regime][sweep]") {
  model::CpuModelRunner runner(model::load_weights(kTiny), 1);
  const std::int64_t layers = runner.config().n_layer;
  const std::vector<RegimeCell> prompts = {cell("short_chat", 40, true), cell("logs_uuid", 90, false)};
  const SweepConfig config = small_config({16, 32}, {"sampled_hist_s8"});
  const SweepOutcome out = run_regime_sweep(runner, prompts, config);
  CHECK_FALSE(out.not_honoured);
  CHECK(out.rounds == 3);
  CHECK(out.arms == std::vector<std::string>{"static_chunk_16", "static_chunk_32", "sampled_hist_s8"});
  CHECK(out.measure["cells"] == 6);
  CHECK(out.chunk_report["scan_calls"] == (1 + 3) * 6 * layers);
  CHECK(out.chunk_report["honoured_calls"] == out.chunk_report["scan_calls"]);
  for (std::size_t p = 0; p < 2; ++p) {
    for (std::size_t a = 0; a < 3; ++a) {
      CHECK(out.samples[p][a].size() == 3);
      std::int64_t decided = 0;
      for (const auto& [q, n] : out.decisions[p][a]) decided += n;
      CHECK(decided == 3 * layers);  // warm-up decisions excluded
    }
    CHECK(out.decisions[p][0].at(16) == 3 * layers);
    CHECK(out.decisions[p][1].at(32) == 3 * layers);
  }
}

TEST_CASE("sweep: rounds rotate the cells, and an ignored chunk is caught", "[mixed_regime][sweep]") {
  model::CpuModelRunner inner(model::load_weights(kTiny), 1);
  const std::vector<RegimeCell> prompts = {cell("a", 40, true), cell("b", 50, true)};
  const SweepConfig config = small_config({16, 32}, {});
  {
    test::OrderRecordingRunner recording(inner);
    const SweepOutcome out = run_regime_sweep(recording, prompts, config);
    CHECK_FALSE(out.not_honoured);
    // 4 cells (prompt-major: a/16, a/32, b/16, b/32); round r starts at cell r mod 4 (1 warm-up + 3 rounds).
    const std::vector<std::int64_t> expected = {16, 32, 16, 32, 32, 16, 32, 16, 16, 32, 16, 32, 32, 16, 32, 16};
    CHECK(recording.first_layer_chunks == expected);
  }
  test::ChunkIgnoringRunner ignoring(inner);
  const SweepOutcome bad = run_regime_sweep(ignoring, prompts, config);
  REQUIRE(bad.not_honoured);
  CHECK(bad.not_honoured->find("asked for Q = 16") != std::string::npos);
  CHECK_FALSE(bad.chunk_report["honoured"].get<bool>());
}

TEST_CASE("feature scan: every layer decided, the whole prompt scanned", "[mixed_regime][scan]") {
  model::CpuModelRunner runner(model::load_weights(kTiny), 1);
  const std::int64_t layers = runner.config().n_layer;
  const std::vector<RegimeCell> prompts = {cell("short_chat", 40, true), cell("tables_csv", 120, true)};
  SweepConfig config = small_config({}, {});
  config.new_tokens = 1;
  const std::vector<std::string> modes = {"sampled_hist_s8", "kurtosis_proxy", "static_chunk_32"};
  const FeatureScanOutcome out = run_feature_scan(runner, prompts, modes, config);
  CHECK_FALSE(out.not_honoured);
  CHECK_FALSE(out.cancelled);
  REQUIRE(out.decisions.size() == 6);
  CHECK(out.chunk_report["scan_calls"] == 6 * layers);
  for (const ScanDecisions& d : out.decisions) {
    CHECK(d.chunks.size() == static_cast<std::size_t>(layers));
    for (std::size_t i = 0; i < d.chunks.size(); ++i) {
      CHECK(d.entropies[i].has_value() == (d.mode != "static_chunk_32"));
      if (d.mode == "static_chunk_32") CHECK(d.chunks[i] == 32);
      else CHECK((d.chunks[i] >= 16 && d.chunks[i] <= 64));
    }
  }
  const auto rows = summarize_diversity(out.decisions, {"short_chat", "tables_csv"}, {40, 120}, modes);
  REQUIRE(rows.size() == 6);
  CHECK(rows[4].mode == "static_chunk_32");
  CHECK_FALSE(rows[4].diverse);
  CHECK(rows[4].dominant_share == 1.0);
}
