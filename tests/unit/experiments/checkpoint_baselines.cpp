// The checkpoint baselines of PAPER.md §7 (recipe row 16): the routed-ablation tier's quality study with
// metrics_only. A checkpoint directory written by corey make-checkpoint has random weights, so its task
// metrics are null with the reason, while a directory without that mark (the numpy fixture) is scored;
// task_new_tokens overrides every task's budget; run_quality refuses not-applicable metrics next to rows.
#include <fstream>
#include <memory>

#include "catch.hpp"
#include "core/error.hpp"
#include "experiments/routed_ablation_tier.hpp"
#include "experiments/routed_model.hpp"
#include "experiments/routed_quality.hpp"
#include "model/checkpoint.hpp"
#include "model/cpu_model_runner.hpp"
#include "model/synthetic_checkpoint.hpp"
#include "model/tokenizer.hpp"
#include "routed_test_fixtures.hpp"
#include "scratch_dir.hpp"
#include "spec/spec.hpp"

using namespace corey;

namespace {

namespace fs = std::filesystem;

const std::string kLongBench = std::string(COREY_SHARED_DIR) + "/data/longbench";

// A metrics_only spec on `checkpoint`: narrativeqa and qasper, one prompt each, 3 new tokens, one warm-up.
std::string write_spec(const fs::path& dir, const std::string& checkpoint) {
  const fs::path path = dir / "baselines.yaml";
  std::ofstream(path) << "schema: corey.spec/1\nname: baselines_unit\nexperiment: routed-ablation\nparams:\n"
                      << "  study: quality\n  metrics_only: true\n"
                      << "  model: {checkpoint: \"" << checkpoint << "\", dtype: fp32, tokenizer: byte}\n"
                      << "  prompt: {text: default, repeat: 1, max_tokens: 64, truncation: middle}\n"
                      << "  kernel: {impl: cpu, chunk_mode: inkernel}\n  threads: 1\n"
                      << "  tasks: [narrativeqa, qasper]\n"
                      << "  task_files: {narrativeqa: narrativeqa_smoke.jsonl}\n"
                      << "  dataset_dir: \"" << kLongBench << "\"\n"
                      << "  samples_per_task: 1\n  on_bad_record: skip\n  include_ppl: false\n  task_new_tokens: 3\n"
                      << "measure:\n  mode: [e2e]\n  warmup: {runs: 1}\n";
  return path.string();
}

struct Run {
  results::Record record;
  std::vector<results::Table> tables;
};

Run run_spec(const std::string& path) {
  auto tier = experiments::make_routed_ablation_tier();
  const auto* schema = &tier->param_schema();
  const spec::Spec spec = spec::load_spec(path, {}, "routed-ablation", [schema](std::string_view experiment) {
    return experiment == "routed-ablation" ? schema : nullptr;
  });
  const spec::Plan plan = spec::expand(spec);
  REQUIRE(plan.points.size() == 1);
  tier->validate(spec, plan);
  experiments::RunContext ctx{spec};
  Run run;
  run.record = tier->run(plan.points[0], ctx);
  run.tables = tier->summarize(spec, {run.record});
  return run;
}

const results::Table* baselines(const Run& run) {
  for (const auto& t : run.tables) {
    if (t.name == "routed_ablation.baselines") return &t;
  }
  return nullptr;
}

void check_budgets(const Json& metrics) {
  CHECK(metrics["rows"].empty());
  CHECK(metrics["warmup_generates"] == 1);
  REQUIRE(metrics["passive"].size() == 2);
  for (const Json& t : metrics["passive"]) {
    CHECK(t["prompts"] == 1);
    CHECK(t["new_tokens"] == 3);
    CHECK(t["latency_ms"].get<double>() > 0.0);
    CHECK(t["tokens_per_s"].get<double>() > 0.0);
    CHECK(t["ppl_mean"].is_null());  // include_ppl: false
  }
  REQUIRE(metrics["prompts"].size() == 2);
  for (const Json& p : metrics["prompts"]) {
    CHECK(p["passive"]["generated_tokens"] == 3);
    CHECK(p["prompt_tokens"].get<int>() <= 64);
  }
}

}  // namespace

TEST_CASE("metrics_only: a corey make-checkpoint directory has not-applicable metrics", "[routed][baselines]") {
  static testing::ScratchDir scratch("corey_baselines_");
  experiments::ModelSpec tiny;
  tiny.checkpoint = "synthetic:mamba-130m";
  tiny.shape = Json{{"d_model", 32}, {"n_layer", 2}, {"vocab_size", 256}};
  const fs::path written = scratch.path() / "synthetic_ck";
  model::write_synthetic_checkpoint(written.string(), experiments::synthetic_config(tiny), 5);

  const Run synthetic = run_spec(write_spec(scratch.path(), written.string()));
  INFO(synthetic.record.reason.value_or(""));
  REQUIRE(synthetic.record.status == results::Status::ok);
  const Json& m = synthetic.record.fields["metrics"];
  check_budgets(m);
  for (const Json& t : m["passive"]) {
    CHECK(t["score"].is_null());
    CHECK(t["score_note"].get<std::string>().find("written by corey make-checkpoint") != std::string::npos);
  }
  for (const Json& p : m["prompts"]) CHECK(p["passive"]["score"].is_null());
  const results::Table* table = baselines(synthetic);
  REQUIRE(table);
  REQUIRE(table->rows.size() == 2);
  REQUIRE(table->columns[6].name == "score");
  CHECK(table->rows[0].cells[6].is_null());
  CHECK(table->rows[0].cells[7].is_string());

  const Run fixture = run_spec(write_spec(scratch.path(), test::kTinyCheckpoint));
  REQUIRE(fixture.record.status == results::Status::ok);
  check_budgets(fixture.record.fields["metrics"]);
  for (const Json& t : fixture.record.fields["metrics"]["passive"]) {
    CHECK(t["score_note"].is_null());
    CHECK(t["score"].get<double>() >= 0.0);
    CHECK(t["score"].get<double>() <= 1.0);
  }
}

TEST_CASE("run_quality refuses not-applicable metrics next to routed rows", "[routed][baselines]") {
  model::CpuModelRunner runner(model::load_weights(test::kTinyCheckpoint), 1);
  const model::ByteTokenizer tokenizer;
  experiments::QualityConfig config;
  config.tasks = {"narrativeqa"};
  config.files = {kLongBench + "/narrativeqa_smoke.jsonl"};
  config.rows = {"hist"};
  config.metrics_not_applicable = "synthetic checkpoint";
  CHECK_THROWS_AS(experiments::run_quality(runner, tokenizer, config), Error);
}
