#pragma once
#include <string>
#include <vector>

#include "core/json.hpp"

namespace corey::costmodel {

// One of the authors' CSV outputs: its file stem, its header, and rows whose cells keep Python's types
// (JSON integers for ints, doubles for floats, strings, booleans).
struct CsvTable {
  std::string name;
  std::vector<std::string> columns;
  std::vector<std::vector<Json>> rows;
};

}  // namespace corey::costmodel
