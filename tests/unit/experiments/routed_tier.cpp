// The routed-ablation tier through the spec loader on the CPU smoke spec: the matrix point and the
// LongBench quality point, the summary tables, the CUDA runner from the device hooks (one model load per
// run) and the skip without one, and spec errors with their positions.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "catch.hpp"
#include "core/error.hpp"
#include "experiments/device_hooks.hpp"
#include "experiments/routed_ablation_tier.hpp"
#include "model/cpu_model_runner.hpp"
#include "routed_test_runners.hpp"
#include "spec/spec.hpp"

using namespace corey;

namespace {

namespace fs = std::filesystem;

struct Loaded {
  std::unique_ptr<experiments::Tier> tier = experiments::make_routed_ablation_tier();
  spec::Spec spec;
  spec::Plan plan;
};

Loaded load(const std::string& path, const std::vector<std::string>& sets = {}) {
  setenv("COREY_SHARED_DIR", COREY_SHARED_DIR, 1);
  Loaded l;
  const auto* schema = &l.tier->param_schema();
  l.spec = spec::load_spec(path, sets, "routed-ablation", [schema](std::string_view experiment) {
    return experiment == "routed-ablation" ? schema : nullptr;
  });
  l.plan = spec::expand(l.spec);
  return l;
}

const std::string kSmoke = std::string(COREY_SOURCE_DIR) + "/experiments/smoke/routed_ablation_cpu.yaml";

const results::Table* table(const std::vector<results::Table>& tables, const std::string& name) {
  for (const auto& t : tables) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::size_t column(const results::Table& t, const std::string& name) {
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    if (t.columns[i].name == name) return i;
  }
  FAIL("no column " << name);
  return 0;
}

}  // namespace

TEST_CASE("smoke spec: matrix and quality points on the CPU", "[routed][tier]") {
  Loaded l = load(kSmoke, {"measure.samples.min=6", "measure.samples.max=6"});
  REQUIRE(l.plan.points.size() == 2);
  l.tier->validate(l.spec, l.plan);
  experiments::RunContext ctx{l.spec};
  std::vector<results::Record> records;
  for (const auto& point : l.plan.points) records.push_back(l.tier->run(point, ctx));
  for (const auto& r : records) {
    INFO(r.reason.value_or(""));
    CHECK(r.status == results::Status::ok);
    CHECK(r.fields["chunk_report"]["honoured"] == true);
  }
  const Json& m = records[0].fields["metrics"];
  CHECK(m["rows"].size() == 24);
  CHECK(records[0].fields["prompt"]["tokens"] == 256);
  CHECK(records[0].fields["model"]["tokenizer"] == "byte");

  const Json& q = records[1].fields["metrics"];
  // The dirty shared files: gov_report lines 22 and 34, multifieldqa_en line 31 (skipped and listed).
  const Json& dirty = records[1].fields["dirty_records"];
  std::vector<std::string> where;
  for (const Json& d : dirty) {
    if (d["record"] == "skipped")
      where.push_back(fs::path(d["file"].get<std::string>()).filename().string() + ":" + std::to_string(d["line"].get<int>()));
    else
      CHECK(d["reason"].get<std::string>().find("byte-order mark") != std::string::npos);
  }
  CHECK(where == std::vector<std::string>{"multifieldqa_en.jsonl:31", "gov_report.jsonl:22", "gov_report.jsonl:34"});
  CHECK(dirty.size() == 3 + 3);  // and the byte-order marks of qasper, multifieldqa_en and gov_report
  REQUIRE(q["rows"].size() == 2);
  for (const Json& row : q["rows"]) {
    CHECK(row["overall"]["prompts"] == 8);
    CHECK(row["overall"]["greedy_exact"] == 8);
    CHECK(row["overall"]["ppl_ratio_max_dev"] == 0.0);
  }
  CHECK(q["prompts"][0]["prompt_tokens"].get<int>() <= 256);

  const auto tables = l.tier->summarize(l.spec, records);
  const results::Table* matrix = table(tables, "routed_ablation.matrix");
  REQUIRE(matrix);
  CHECK(matrix->rows.size() == 24);
  const std::size_t syncs = column(*matrix, "host_syncs_per_forward");
  const std::size_t adaptivity = column(*matrix, "adaptivity");
  const std::size_t oracle = column(*matrix, "oracle_row");
  for (const auto& row : matrix->rows) {
    CHECK(row.cells[syncs] == 0);
    CHECK((row.cells[adaptivity] == "none" || row.cells[adaptivity] == "some"));
    CHECK(row.cells[oracle].is_string());
    CHECK(row.provenance == std::vector<std::string>{records[0].point_id});
  }
  REQUIRE(table(tables, "routed_ablation.equivalence"));
  REQUIRE(table(tables, "routed_ablation.quality"));
  REQUIRE(table(tables, "routed_ablation.dirty_records"));
  CHECK(table(tables, "routed_ablation.dirty_records")->rows.size() == 6);
  const auto& notes = table(tables, "routed_ablation.quality")->notes;
  CHECK(std::any_of(notes.begin(), notes.end(), [](const std::string& n) { return n.find("meaningless") != std::string::npos; }));
}

TEST_CASE("the CUDA backend and CUDA kernels are skipped, never run on the CPU", "[routed][tier]") {
  Loaded l = load(kSmoke);
  experiments::RunContext ctx{l.spec};
  ctx.backend = experiments::Backend::cuda;
  const results::Record cuda = l.tier->run(l.plan.points[0], ctx);
  CHECK(cuda.status == results::Status::skipped);
  CHECK(cuda.reason->find("CUDA model runner") != std::string::npos);

  Loaded seq = load(kSmoke, {"params.kernel.impl=seq"});
  experiments::RunContext cpu{seq.spec};
  const results::Record r = seq.tier->run(seq.plan.points[0], cpu);
  CHECK(r.status == results::Status::skipped);
  CHECK(r.reason->find("kernel.impl seq") != std::string::npos);
}

TEST_CASE("bad values are spec errors at their position; the paper specs plan", "[routed][tier]") {
  Loaded bad = load(kSmoke, {"params.rows=[static_chunk_64,bogus_row]"});
  try {
    bad.tier->validate(bad.spec, bad.plan);
    FAIL("accepted an unknown row");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::spec);
    CHECK(std::string(e.what()).find("bogus_row") != std::string::npos);
  }
  Loaded dirty = load(kSmoke, {"params.on_bad_record=error"});
  experiments::RunContext ctx{dirty.spec};
  CHECK_THROWS_AS(dirty.tier->run(dirty.plan.points[1], ctx), Error);

  for (const char* name : {"routed_ablation.yaml", "routed_quality.yaml"}) {
    Loaded paper = load(std::string(COREY_SOURCE_DIR) + "/experiments/paper/" + name);
    CHECK_NOTHROW(paper.tier->validate(paper.spec, paper.plan));
    CHECK(paper.plan.points.size() == 1);
  }
}

TEST_CASE("a run whose scan ignores the requested chunk fails with chunk_not_honoured", "[routed][tier][honoured]") {
  Loaded l = load(kSmoke, {"measure.samples.min=2", "measure.samples.max=2"});
  l.tier = experiments::make_routed_ablation_tier(
      [](model::ModelRunner& inner) { return std::make_unique<test::ChunkIgnoringRunner>(inner); });
  experiments::RunContext ctx{l.spec};
  for (const auto& point : l.plan.points) {
    const results::Record r = l.tier->run(point, ctx);
    CAPTURE(point.params["study"]);
    CHECK(r.status == results::Status::chunk_not_honoured);
    REQUIRE(r.reason);
    CHECK(r.reason->find("the harness asked for Q = ") != std::string::npos);
    CHECK(r.fields["chunk_report"]["honoured"] == false);
  }
}

TEST_CASE("--backend cuda takes the model runner from the device hooks, once per run", "[routed][tier][device]") {
  Loaded l = load(kSmoke, {"params.kernel.impl=seq", "measure.samples.min=2", "measure.samples.max=2",
                           "params.rows=[static_chunk_64,sampled_hist_s8,device_sampled_hist_s8]"});
  int loads = 0;
  experiments::DeviceHooks hooks;
  hooks.make_model_runner = [&loads](int device, const model::MambaWeights& weights, DType dtype) {
    ++loads;
    CHECK(device == 3);
    CHECK(dtype == DType::f32);
    return std::unique_ptr<model::ModelRunner>(std::make_unique<model::CpuModelRunner>(weights, 1));
  };
  experiments::install_device_hooks(hooks);
  experiments::RunContext ctx{l.spec};
  ctx.backend = experiments::Backend::cuda;
  ctx.device = 3;
  const results::Record first = l.tier->run(l.plan.points[0], ctx);
  const results::Record again = l.tier->run(l.plan.points[0], ctx);
  experiments::install_device_hooks({});
  CHECK(loads == 1);
  CHECK_FALSE(l.tier->points_independent());
  for (const results::Record* r : {&first, &again}) {
    INFO(r->reason.value_or(""));
    CHECK(r->status == results::Status::ok);
    CHECK(r->fields["backend"]["device"] == 3);
    CHECK(r->fields["metrics"]["rows"].size() == 3);
  }
  // The quality study has no device_* rows.
  Loaded quality = load(kSmoke, {"sweep.include=[{study: quality, rows: [device_hist]}]"});
  try {
    quality.tier->validate(quality.spec, quality.plan);
    FAIL("the quality study accepted a device_* row");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::spec);
    CHECK(std::string(e.what()).find("device_hist") != std::string::npos);
  }
}
