#pragma once
// Helpers for comparing computed tables with the authors' CSV files cell by cell.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/python_format.hpp"
#include "costmodel/csv_table.hpp"

namespace corey::costmodel::testing {

struct CsvFile {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// One line of a CSV as Python's csv module writes it (fields with commas or quotes are quoted).
inline std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

inline CsvFile read_csv(const std::string& path) {
  std::ifstream in(path);
  CsvFile file;
  std::string line;
  if (!std::getline(in, line)) return file;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  file.header = split_csv_line(line);
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) file.rows.push_back(split_csv_line(line));
  }
  return file;
}

// A cell as Python's csv module writes it (repr for floats, True/False for booleans).
inline std::string python_text(const Json& value) {
  if (value.is_boolean()) return value.get<bool>() ? "True" : "False";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  return python_float_repr(value.get<double>());
}

inline const CsvTable& find_table(const std::vector<CsvTable>& tables, const std::string& name) {
  for (const auto& t : tables)
    if (t.name == name) return t;
  throw std::runtime_error("no table " + name);
}

}  // namespace corey::costmodel::testing
