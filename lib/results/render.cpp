#include "results/render.hpp"

#include <cmath>
#include <cstdio>

#include "core/python_format.hpp"

namespace corey::results {

namespace {

std::string csv_cell(const Json& cell) {
  if (cell.is_null()) return "";
  if (cell.is_boolean()) return cell.get<bool>() ? "True" : "False";
  if (cell.is_number_integer() || cell.is_number_unsigned()) return cell.dump();
  if (cell.is_number_float()) return python_float_repr(cell.get<double>());
  const std::string text = cell.is_string() ? cell.get<std::string>() : cell.dump();
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string markdown_cell(const Json& cell) {
  if (cell.is_null()) return "—";
  if (cell.is_boolean()) return cell.get<bool>() ? "yes" : "no";
  if (cell.is_number_integer() || cell.is_number_unsigned()) return cell.dump();
  if (cell.is_number_float()) {
    const double v = cell.get<double>();
    // Values already rounded (the authors' 4-decimal tables) print in full; long ones get 6 digits.
    if (std::string repr = python_float_repr(v); repr.size() <= 11) return repr;
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, (std::fabs(v) >= 1e-3 || v == 0.0) ? "%.6g" : "%.4g", v);
    return buffer;
  }
  std::string text = cell.is_string() ? cell.get<std::string>() : cell.dump();
  std::string escaped;
  for (char c : text) {
    if (c == '|') escaped += '\\';
    escaped += c == '\n' ? ' ' : c;
  }
  return escaped;
}

}  // namespace

std::string render_csv(const Table& table) {
  std::string out;
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (i) out += ',';
    out += csv_cell(Json(table.columns[i].name));
  }
  out += "\r\n";
  for (const auto& row : table.rows) {
    for (std::size_t i = 0; i < row.cells.size(); ++i) {
      if (i) out += ',';
      out += csv_cell(row.cells[i]);
    }
    out += "\r\n";
  }
  return out;
}

std::string render_markdown(const Table& table, const std::string& caption) {
  std::string out = "### " + (table.title.empty() ? table.name : table.title) + "\n\n|";
  for (const auto& c : table.columns) out += " " + c.name + (c.unit.empty() ? "" : " (" + c.unit + ")") + " |";
  out += "\n|";
  for (std::size_t i = 0; i < table.columns.size(); ++i) out += "---|";
  out += "\n";
  for (const auto& row : table.rows) {
    out += "|";
    for (const auto& cell : row.cells) out += " " + markdown_cell(cell) + " |";
    out += "\n";
  }
  if (!table.notes.empty()) {
    out += "\n";
    for (const auto& note : table.notes) out += "- " + note + "\n";
  }
  if (!caption.empty()) out += "\n" + caption + "\n";
  return out;
}

}  // namespace corey::results
