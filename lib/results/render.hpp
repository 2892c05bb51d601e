#pragma once
#include <string>

#include "results/table.hpp"

namespace corey::results {

// CSV with the table's column names as header. Cells: integers as integers, floats as Python's repr(),
// booleans as True/False, null as empty, strings quoted only when needed — the way Python's csv module
// writes the authors' files, so `diff` against them works.
std::string render_csv(const Table& table);

// GitHub-flavoured Markdown: a title line, the table, its notes as a list, and `caption` (run id, spec hash).
std::string render_markdown(const Table& table, const std::string& caption);

}  // namespace corey::results
