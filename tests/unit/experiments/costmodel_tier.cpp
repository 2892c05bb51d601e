// The costmodel tier end to end through the spec loader: the paper spec against the authors' reference
// outputs, a --set configuration against the authors' code run with it, and the errors bad values give.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "catch.hpp"
#include "core/error.hpp"
#include "experiments/costmodel_tier.hpp"
#include "spec/spec.hpp"

namespace {

namespace fs = std::filesystem;
using corey::experiments::make_costmodel_tier;

struct Loaded {
  std::unique_ptr<corey::experiments::Tier> tier = make_costmodel_tier();
  corey::spec::Spec spec;
  corey::spec::Plan plan;
};

Loaded load(const std::string& path, const std::vector<std::string>& sets = {}) {
  setenv("COREY_SHARED_DIR", COREY_SHARED_DIR, 1);
  Loaded l;
  const auto* schema = &l.tier->param_schema();
  l.spec = corey::spec::load_spec(path, sets, "costmodel", [schema](std::string_view experiment) {
    return experiment == "costmodel" ? schema : nullptr;
  });
  l.plan = corey::spec::expand(l.spec);
  return l;
}

std::string write_spec(const std::string& name, const std::string& params_yaml) {
  const fs::path dir = fs::temp_directory_path() / ("corey_costmodel_tier_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path path = dir / name;
  std::ofstream(path) << "schema: corey.spec/1\nname: bad\nexperiment: costmodel\nparams:\n" << params_yaml;
  return path.string();
}

// validate() must reject the spec with a message naming the file and the line of the bad value.
void require_rejected(const std::string& params_yaml, int line, const std::string& fragment) {
  const std::string path = write_spec("bad_" + std::to_string(line) + ".yaml", params_yaml);
  Loaded l = load(path);
  try {
    l.tier->validate(l.spec, l.plan);
    FAIL("validate accepted a bad value");
  } catch (const corey::Error& e) {
    INFO(e.what());
    REQUIRE(e.where().has_value());
    CHECK(e.where()->file == path);
    CHECK(e.where()->line == line);
    CHECK(std::string(e.what()).find(fragment) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("the paper spec reproduces every reference table", "[costmodel][tier]") {
  Loaded l = load(std::string(COREY_SOURCE_DIR) + "/experiments/paper/costmodel.yaml");
  REQUIRE(l.plan.points.size() == 1);
  l.tier->validate(l.spec, l.plan);
  corey::experiments::RunContext ctx{l.spec};
  const auto record = l.tier->run(l.plan.points.front(), ctx);
  INFO(record.reason.value_or(""));
  REQUIRE(record.status == corey::results::Status::ok);
  CHECK(record.fields.at("surrogate") == true);
  const auto& golden = record.fields.at("metrics").at("golden");
  CHECK(golden.at("files_checked").size() == 13);
  CHECK(golden.at("mismatch_count") == 0);
  const auto tables = l.tier->summarize(l.spec, {record});
  REQUIRE(tables.size() == 13);
  CHECK(tables.front().name == "detailed_metrics");
  CHECK(tables.front().columns.front().name == "method");
}

TEST_CASE("--set seed and repeats reproduce the authors' code for that configuration", "[costmodel][tier]") {
  const std::string alt = std::string(COREY_TEST_DATA_DIR) + "/costmodel_alt/seed_11";
  Loaded l = load(std::string(COREY_SOURCE_DIR) + "/experiments/paper/costmodel.yaml",
                  {"params.seed=11", "params.repeats=2", "params.traces=false", "params.golden=" + alt});
  corey::experiments::RunContext ctx{l.spec};
  const auto record = l.tier->run(l.plan.points.front(), ctx);
  INFO(record.reason.value_or(""));
  REQUIRE(record.status == corey::results::Status::ok);
  CHECK(record.fields.at("metrics").at("golden").at("files_checked").size() == 7);
}

TEST_CASE("a golden mismatch fails the point and lists the cells", "[costmodel][tier]") {
  // The default seed against the seed-11 outputs: the model runs, the comparison must fail.
  const std::string alt = std::string(COREY_TEST_DATA_DIR) + "/costmodel_alt/seed_11";
  Loaded l = load(std::string(COREY_SOURCE_DIR) + "/experiments/paper/costmodel.yaml",
                  {"params.repeats=2", "params.traces=false", "params.golden=" + alt});
  corey::experiments::RunContext ctx{l.spec};
  const auto record = l.tier->run(l.plan.points.front(), ctx);
  CHECK(record.status == corey::results::Status::verify_failed);
  REQUIRE(record.reason.has_value());
  CHECK(record.reason->find("bucket_summary.csv row") != std::string::npos);
  CHECK(record.fields.at("metrics").at("golden").at("mismatch_count").get<int>() > 0);
}

TEST_CASE("bad parameter values are rejected with file:line", "[costmodel][tier]") {
  require_rejected("  repeats: -1\n", 5, "params.repeats");
  require_rejected("  bins: 1\n", 5, "params.bins");
  require_rejected("  seq_lens: [1024]\n  buckets:\n    short: [1024]\n    long: []\n", 8, "empty");
}

TEST_CASE("a string for tau is a type error of the loader", "[costmodel][tier]") {
  const std::string path = write_spec("tau.yaml", "  tau: \"high\"\n");
  REQUIRE_THROWS_AS(load(path), corey::Error);
}

TEST_CASE("tables of a multi-point run are suffixed with the varying params", "[costmodel][tier]") {
  Loaded l = load(std::string(COREY_SOURCE_DIR) + "/experiments/smoke/costmodel_tiny.yaml");
  REQUIRE(l.plan.points.size() == 8);
  l.tier->validate(l.spec, l.plan);
  corey::experiments::RunContext ctx{l.spec};
  std::vector<corey::results::Record> records;
  for (const auto& point : l.plan.points) records.push_back(l.tier->run(point, ctx));
  for (const auto& r : records) CHECK(r.status == corey::results::Status::ok);
  const auto tables = l.tier->summarize(l.spec, records);
  bool found = false;
  for (const auto& t : tables) found = found || t.name.rfind("bucket_summary.", 0) == 0;
  CHECK(found);
}

TEST_CASE("the tau spec pairs each tau with its reference directory", "[costmodel][tier]") {
  Loaded l = load(std::string(COREY_SOURCE_DIR) + "/experiments/paper/costmodel_tau.yaml");
  REQUIRE(l.plan.points.size() == 3);
  l.tier->validate(l.spec, l.plan);
  const std::vector<std::pair<double, std::string>> expected = {{0.45, "tau_0.45"}, {0.52, "tau_0.52"}, {0.60, "tau_0.60"}};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& params = l.plan.points[i].params;
    CHECK(params.at("tau").get<double>() == expected[i].first);
    const auto golden = params.at("golden").get<std::string>();
    CHECK(golden.substr(golden.size() - expected[i].second.size()) == expected[i].second);
    CHECK(fs::is_directory(golden));
  }
}
