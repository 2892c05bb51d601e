// The default configuration against the authors' reference outputs (../shared/reference/costmodel), every
// cell compared as the text Python writes.
#include <filesystem>
#include <fstream>

#include "catch.hpp"
#include "costmodel/fusion_study.hpp"
#include "golden_support.hpp"

using namespace corey::costmodel;
using namespace corey::costmodel::testing;

namespace {

std::string reference_dir(const std::string& tau) {
  return std::string(COREY_SHARED_DIR) + "/reference/costmodel/tau_" + tau;
}

const std::vector<CsvTable>& default_tables() {
  static const std::vector<CsvTable> tables = run_fusion_study(FusionStudyConfig{});
  return tables;
}

// Projection errors depend on the BLAS accumulation order (PAPER.md §3.3): compared with a tolerance.
bool is_blas_dependent(const std::string& column) { return column == "max_projection_error"; }

void compare_with_reference(const CsvTable& table, const std::string& dir) {
  const std::string path = dir + "/" + table.name + ".csv";
  REQUIRE(std::filesystem::exists(path));
  const CsvFile golden = read_csv(path);
  REQUIRE(golden.header == table.columns);
  REQUIRE(golden.rows.size() == table.rows.size());
  int mismatches = 0;
  for (std::size_t r = 0; r < golden.rows.size(); ++r)
    for (std::size_t c = 0; c < golden.header.size(); ++c) {
      const std::string& expected = golden.rows[r][c];
      const std::string got = python_text(table.rows[r][c]);
      if (is_blas_dependent(golden.header[c])) {
        if (std::fabs(std::stod(expected) - std::stod(got)) > 1e-9) ++mismatches;
        continue;
      }
      if (expected != got) {
        ++mismatches;
        if (mismatches <= 10)
          UNSCOPED_INFO(table.name << " row " << r + 1 << " column " << golden.header[c] << ": expected "
                                   << expected << " got " << got);
      }
    }
  CHECK(mismatches == 0);
}

}  // namespace

TEST_CASE("tau 0.52: every table matches the authors' reference", "[costmodel][golden]") {
  for (const std::string name :
       {"bucket_summary", "occupancy_summary", "alpha_zero_ablation", "alpha_zero_matched_ablation",
        "alpha_zero_matched_tau", "grid_ablation", "grid_ablation_summary", "tile_trace_summary",
        "sinkhorn_validation_summary", "hadamard_validation", "detailed_metrics", "schedule_trace", "tile_trace"}) {
    SECTION(name) { compare_with_reference(find_table(default_tables(), name), reference_dir("0.52")); }
  }
}

TEST_CASE("non-default configurations match the authors' code run with them", "[costmodel][golden]") {
  const std::string root = std::string(COREY_TEST_DATA_DIR) + "/costmodel_alt";
  for (const auto& entry : std::filesystem::directory_iterator(root)) {
    if (!entry.is_directory()) continue;
    SECTION(entry.path().filename().string()) {
      std::ifstream in(entry.path() / "config.json");
      const corey::Json authors = corey::Json::parse(in);
      FusionStudyConfig config;
      config.hidden_dim = authors.at("hidden_dim").get<int>();
      config.projection_dim = authors.at("projection_dim").get<int>();
      config.tau = authors.at("tau").get<double>();
      config.repeats = authors.at("repeats").get<int>();
      config.bins = authors.at("bins").get<int>();
      config.seed = authors.at("seed").get<std::uint64_t>();
      config.traces = false;
      const auto tables = run_fusion_study(config);
      for (const auto& file : std::filesystem::directory_iterator(entry.path())) {
        if (file.path().extension() != ".csv") continue;
        INFO(file.path().filename().string());
        compare_with_reference(find_table(tables, file.path().stem().string()), entry.path().string());
      }
    }
  }
}

TEST_CASE("tau 0.45 and 0.60: bucket summaries match the references", "[costmodel][golden]") {
  for (const std::string tau : {"0.45", "0.60"}) {
    SECTION(tau) {
      FusionStudyConfig config;
      config.tau = std::stod(tau);
      config.traces = false;
      compare_with_reference(find_table(run_fusion_study(config), "bucket_summary"), reference_dir(tau));
    }
  }
}

TEST_CASE("bonuses off removes only the entropy-guided advantages (F12 ablation)", "[costmodel]") {
  FusionStudyConfig config;
  config.buckets = {{"short", {1024}}};
  config.repeats = 1;
  config.traces = false;
  const auto on = find_table(run_fusion_study(config), "detailed_metrics");
  config.bonuses = false;
  const auto off = find_table(run_fusion_study(config), "detailed_metrics");
  REQUIRE(on.rows.size() == off.rows.size());
  for (std::size_t r = 0; r < on.rows.size(); ++r) {
    const std::string method = on.rows[r][0].get<std::string>();
    const double latency_on = on.rows[r][3].get<double>();
    const double latency_off = off.rows[r][3].get<double>();
    INFO(method);
    if (method == "entropy_guided") {
      CHECK(latency_off > latency_on);
    } else {
      CHECK(latency_off == latency_on);
    }
  }
}
