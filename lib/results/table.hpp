#pragma once
#include <string>
#include <vector>

#include "core/json.hpp"

namespace corey::results {

struct Column {
  std::string name;
  std::string unit;  // empty when unitless
};

struct TableRow {
  std::vector<Json> cells;               // numbers stay numbers; integers stay integers
  std::vector<std::string> provenance;   // ids of the points the cells were computed from
};

// A derived table (HARNESS.md §3.5). `name` is the file stem `corey report --format csv` writes.
struct Table {
  std::string name;
  std::string title;
  std::vector<Column> columns;
  std::vector<TableRow> rows;
  std::vector<std::string> notes;

  Json to_json() const;
  static Table from_json(const Json& json);
};

}  // namespace corey::results
