#pragma once
#include <string>
#include <vector>

#include "core/json.hpp"
#include "results/record.hpp"
#include "results/table.hpp"

namespace corey::results {

inline constexpr const char* results_schema = "corey.results/1";
inline constexpr const char* results_schema_version = "1.0.0";

// One results file `corey.results/1` (HARNESS.md §3.2).
struct ResultsFile {
  Json run = Json::object();
  Json env = Json::object();
  Json axes = Json::array();
  std::vector<Record> records;
  std::vector<Table> tables;

  Json summary(double wall_s) const;  // counts per status
  Json to_json(double wall_s) const;
  static ResultsFile from_json(const Json& json, const std::string& path);
};

// Reads and checks the schema of a results file; errors name the file.
ResultsFile load_results(const std::string& path);

}  // namespace corey::results
