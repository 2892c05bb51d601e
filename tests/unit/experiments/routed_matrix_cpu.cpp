// The routed matrix on the tiny numpy checkpoint: every row and condition, honoured chunks, bit-identical
// outputs; a runner that ignores the requested chunk makes the run fail; synthetic weights in memory equal
// the ones make-checkpoint writes.
#include <filesystem>
#include <memory>
#include <unistd.h>

#include "catch.hpp"
#include "core/error.hpp"
#include "experiments/routed_matrix.hpp"
#include "experiments/routed_model.hpp"
#include "model/checkpoint.hpp"
#include "model/cpu_model_runner.hpp"
#include "model/synthetic_checkpoint.hpp"
#include "routed_test_runners.hpp"
#include "routed_test_fixtures.hpp"

using namespace corey;
using namespace corey::experiments;

namespace {

MatrixConfig small_config(std::vector<std::string> rows) {
  MatrixConfig c = test::tiny_matrix_config(std::move(rows), 128, 6);
  c.new_tokens = 3;
  c.bootstrap.resamples = 500;
  return c;
}

}  // namespace

TEST_CASE("matrix: every row and condition, chunks honoured, outputs bit-identical", "[routed][matrix]") {
  model::CpuModelRunner runner(model::load_weights(test::kTinyCheckpoint), 1);
  const auto prompt = test::tiny_prompt_ids(100);
  const std::vector<std::string> rows = {"static_chunk_16", "static_chunk_64", "random_seed_0", "sampled_hist_s4",
                                         "guarded_hist", "kurtosis_proxy"};
  const MatrixConfig config = small_config(rows);
  const MatrixOutcome out = run_matrix(runner, prompt, config);
  INFO(out.metrics.dump(1).substr(0, 3000));
  CHECK_FALSE(out.not_honoured);
  CHECK_FALSE(out.not_equivalent);
  CHECK(out.rounds == 6);
  CHECK(out.measure["stop"]["why"] == "sample_count");
  const std::int64_t layers = runner.config().n_layer;
  // Scan calls: (equivalence pass: passive + one per row) + (warm-up + 6 rounds) × (1 + 2 per row) cells.
  const std::int64_t generates = static_cast<std::int64_t>(1 + rows.size() + 7 * (1 + 2 * rows.size()));
  CHECK(out.chunk_report["scan_calls"] == generates * layers);
  CHECK(out.chunk_report["honoured_calls"] == generates * layers);
  CHECK(out.chunk_report["bitwise_chunk_invariant"] == true);
  const Json& m = out.metrics;
  CHECK(m["passive"]["n"] == 6);
  REQUIRE(m["rows"].size() == rows.size());
  for (const Json& r : m["rows"]) {
    const std::string name = r["row"].get<std::string>();
    CAPTURE(name);
    CHECK(r["conditions"]["active_only"]["n"] == 6);
    CHECK(r["conditions"]["routed"]["n"] == 6);
    CHECK(r["conditions"]["routed"]["output_mismatches_vs_passive"] == 0);
    CHECK(r["equivalence"]["greedy_exact"] == true);
    CHECK(r["equivalence"]["bitwise_equal"] == true);
    CHECK(r["equivalence"]["max_abs_logit_diff"] == 0.0);
    // Warm-ups excluded: 6 measured generates × every layer.
    const Json& d = r["decisions"];
    CHECK(d["decisions"] == 6 * layers);
    std::int64_t total = 0;
    for (const auto& [q, n] : d["histogram"].items()) total += n.get<std::int64_t>();
    CHECK(total == 6 * layers);
    CHECK(r["computes_statistic"] == (name == "sampled_hist_s4" || name == "guarded_hist" || name == "kurtosis_proxy"));
    CHECK(r["vs_best_static"]["oracle"] == "heldout");
    CHECK(r["vs_passive"]["pairing"] == "paired");
    CHECK(r.contains("active_overhead"));
    if (name.rfind("static_chunk_", 0) == 0) {
      CHECK(d["adaptivity"] == "none");
      CHECK(d["dominant_chunk"] == std::stoll(name.substr(13)));
      CHECK(d["static_equivalent"] == name);
    }
    if (name == "kurtosis_proxy") CHECK(r["conditions"]["routed"].contains("stats_time_s"));
  }
  // The random row draws among 16, 32, 64, 128 from Python's Random(0): more than one chunk in 12 draws.
  CHECK(m["rows"][2]["decisions"]["distinct"].get<int>() > 1);
  CHECK(m["rows"][2]["decisions"]["adaptivity"] == "some");
  // The guard (fallback 32, 2 buckets) lets only 128 (|Δlog2| >= 2) through; everything else becomes 32.
  for (const auto& [q, n] : m["rows"][4]["decisions"]["histogram"].items()) CHECK((q == "32" || q == "128"));
  CHECK(m["oracle"]["mode"] == "heldout");
  CHECK(m["host_syncs_per_forward"] == 0);
}

TEST_CASE("a scan that ignores the requested chunk fails the run", "[routed][matrix][honoured]") {
  model::CpuModelRunner inner(model::load_weights(test::kTinyCheckpoint), 1);
  test::ChunkIgnoringRunner runner(inner);
  const auto prompt = test::tiny_prompt_ids(100);
  MatrixConfig config = small_config({"static_chunk_16", "static_chunk_32"});
  config.measure.samples_min = config.measure.samples_max = 2;
  const MatrixOutcome out = run_matrix(runner, prompt, config);
  REQUIRE(out.not_honoured);
  CHECK(out.not_honoured->find("static_chunk_16/routed") != std::string::npos);
  CHECK(out.not_honoured->find("asked for Q = 16") != std::string::npos);
  CHECK(out.not_honoured->find("asked for 100") != std::string::npos);
  CHECK(out.chunk_report["honoured"] == false);
  CHECK(out.chunk_report["honoured_calls"].get<std::int64_t>() < out.chunk_report["scan_calls"].get<std::int64_t>());

  // Active-only asks for the whole prompt, which the ignoring scan runs: those calls stay honoured.
  MatrixConfig active = config;
  active.conditions = {Condition::passive, Condition::active_only};
  const MatrixOutcome fine = run_matrix(runner, prompt, active);
  CHECK_FALSE(fine.not_honoured);
}

TEST_CASE("prompts shorter than min_seq_len are not scheduled", "[routed][matrix]") {
  model::CpuModelRunner runner(model::load_weights(test::kTinyCheckpoint), 1);
  MatrixConfig config = small_config({"static_chunk_4"});
  config.min_seq_len = 16;
  config.measure.samples_min = config.measure.samples_max = 2;
  const MatrixOutcome out = run_matrix(runner, test::tiny_prompt_ids(10), config);
  CHECK_FALSE(out.not_honoured);
  CHECK(out.metrics["rows"][0]["decisions"]["decisions"] == 0);
  CHECK(out.metrics["oracle"].contains("mode"));
}

TEST_CASE("synthetic weights in memory equal the checkpoint make-checkpoint writes", "[routed][model]") {
  ModelSpec spec = ModelSpec::from_json(Json{{"checkpoint", "synthetic:mamba-130m"},
                                             {"dtype", "fp32"},
                                             {"seed", 5},
                                             {"shape", {{"d_model", 32}, {"n_layer", 2}, {"vocab_size", 300}}}});
  const model::MambaConfig config = synthetic_config(spec);
  CHECK(config.d_inner == 64);
  CHECK(config.dt_rank == 2);
  const auto dir = std::filesystem::temp_directory_path() / ("corey_routed_synth_" + std::to_string(::getpid()));
  model::write_synthetic_checkpoint(dir.string(), config, 5);
  const model::MambaWeights written = model::load_weights(dir.string());
  std::filesystem::remove_all(dir);
  const LoadedModel loaded = load_model(spec);
  const model::MambaWeights& w = loaded.weights;
  CHECK(w.embeddings == written.embeddings);
  CHECK(w.norm_f == written.norm_f);
  REQUIRE(w.layers.size() == written.layers.size());
  for (std::size_t i = 0; i < w.layers.size(); ++i) {
    CHECK(w.layers[i].in_proj == written.layers[i].in_proj);
    CHECK(w.layers[i].conv_w == written.layers[i].conv_w);
    CHECK(w.layers[i].conv_b == written.layers[i].conv_b);
    CHECK(w.layers[i].x_proj == written.layers[i].x_proj);
    CHECK(w.layers[i].dt_proj_w == written.layers[i].dt_proj_w);
    CHECK(w.layers[i].dt_proj_b == written.layers[i].dt_proj_b);
    CHECK(w.layers[i].A_log == written.layers[i].A_log);
    CHECK(w.layers[i].D_skip == written.layers[i].D_skip);
    CHECK(w.layers[i].out_proj == written.layers[i].out_proj);
    CHECK(w.layers[i].norm == written.layers[i].norm);
  }
  CHECK(loaded.describe["tokenizer"] == "byte");

  // fp16 storage rounds every weight to a half-precision value.
  spec.dtype = DType::f16;
  const LoadedModel half = load_model(spec);
  for (float v : half.weights.layers[0].in_proj) CHECK(fp16_to_fp32(fp32_to_fp16(v)) == v);
  CHECK_THROWS_AS(ModelSpec::from_json(Json{{"checkpoint", "synthetic:mamba-9b"}}), Error);
  CHECK_THROWS_AS(ModelSpec::from_json(Json{{"checkpoint", "dir"}, {"shape", {{"d_model", 8}}}}), Error);
}

TEST_CASE("cells run interleaved in rotated rounds after the equivalence pass", "[routed][matrix][order]") {
  model::CpuModelRunner inner(model::load_weights(test::kTinyCheckpoint), 1);
  test::OrderRecordingRunner runner(inner);
  MatrixConfig config = small_config({"static_chunk_16", "static_chunk_32"});
  config.conditions = {Condition::passive, Condition::routed};
  config.measure.warmup_runs = 2;
  config.measure.samples_min = config.measure.samples_max = 4;
  const MatrixOutcome out = run_matrix(runner, test::tiny_prompt_ids(40), config);
  CHECK_FALSE(out.not_honoured);
  // Cells: 0 = passive (the whole prompt, 40), 1 = static 16, 2 = static 32. Equivalence pass first, then
  // rounds r = 0..5 (two warm-up, four measured) starting at cell r mod 3.
  const std::vector<std::int64_t> expected = {40, 16, 32,                                       // equivalence
                                              40, 16, 32, 16, 32, 40,                           // warm-up rounds
                                              32, 40, 16, 40, 16, 32, 16, 32, 40, 32, 40, 16};  // measured rounds
  CHECK(runner.first_layer_chunks == expected);
}
