#include "results/paper_report.hpp"

#include <algorithm>
#include <optional>

#include "core/error.hpp"

namespace corey::results {

namespace {

const Json& member(const Json& map, const char* name, const char* what) {
  if (!map.contains(name)) throw_usage_error(std::string("report entry: missing '") + name + "' (" + what + ")");
  return map.at(name);
}

std::string as_text(const Json& value, const char* name) {
  if (!value.is_string()) throw_usage_error(std::string("report entry: '") + name + "' must be a string");
  return value.get<std::string>();
}

bool values_equal(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}

std::string value_text(const Json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

std::string key_text(const std::vector<std::string>& key, const Json& row) {
  std::string text;
  for (const auto& k : key) text += (text.empty() ? "" : ", ") + k + "=" + value_text(row.at(k));
  return text;
}

std::optional<std::size_t> column_index(const Table& table, const std::string& name) {
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (table.columns[i].name == name) return i;
  }
  return std::nullopt;
}

// Times differ by hardware, so their ratio is the comparable quantity; other columns compare by difference.
bool is_time_column(const std::string& name, const std::string& unit) {
  for (const char* u : {"ms", "s", "us", "µs"}) {
    if (unit == u) return true;
  }
  for (const char* suffix : {"_ms", "_s", "_us"}) {
    if (name.ends_with(suffix) && !name.ends_with("_per_s")) return true;
  }
  return name.find("latency") != std::string::npos;
}

Json difference(const Json& corey, const Json& paper) {
  if (corey.is_number_integer() && paper.is_number_integer())
    return corey.get<std::int64_t>() - paper.get<std::int64_t>();
  if (corey.is_number() && paper.is_number()) return corey.get<double>() - paper.get<double>();
  return values_equal(corey, paper) ? "=" : "≠";
}

// The row of `table` whose key cells equal `paper_row`'s key values, or the reason there is none.
struct Match {
  const TableRow* row = nullptr;
  std::string reason;
};

Match find_row(const Table& table, const std::vector<std::string>& key, const Json& paper_row) {
  std::vector<std::size_t> key_columns;
  for (const auto& k : key) {
    const auto index = column_index(table, k);
    if (!index) return {nullptr, "table '" + table.name + "' has no key column '" + k + "'"};
    key_columns.push_back(*index);
  }
  Match match;
  std::size_t count = 0;
  for (const auto& row : table.rows) {
    bool equal = true;
    for (std::size_t i = 0; i < key.size() && equal; ++i) {
      equal = key_columns[i] < row.cells.size() && values_equal(row.cells[key_columns[i]], paper_row.at(key[i]));
    }
    if (equal && count++ == 0) match.row = &row;
  }
  if (count == 0) return {nullptr, "no row of '" + table.name + "' has " + key_text(key, paper_row)};
  if (count > 1) {
    return {nullptr, std::to_string(count) + " rows of '" + table.name + "' have " + key_text(key, paper_row) +
                         " (the key does not identify a row)"};
  }
  return match;
}

bool note_matches(const PaperNote& note, const std::vector<std::string>& key, const Json& paper_row) {
  if (note.key.empty()) return false;
  return std::all_of(key.begin(), key.end(),
                     [&](const std::string& k) { return values_equal(note.key.at(k), paper_row.at(k)); });
}

}  // namespace

PaperBlock PaperBlock::from_json(const Json& entry) {
  if (!entry.is_object()) throw_usage_error("report entry: expected a map with 'table', found " + entry.dump());
  PaperBlock block;
  block.table = as_text(member(entry, "table", "template name"), "table");
  block.title = entry.contains("title") ? as_text(entry.at("title"), "title") : block.table;
  block.source = as_text(member(entry, "source", "the results table to compare against"), "source");
  for (const auto& k : member(entry, "key", "the columns that identify a row")) block.key.push_back(as_text(k, "key"));
  for (const auto& row : entry.value("paper", Json::array())) {
    for (const auto& k : block.key) {
      if (!row.is_object() || !row.contains(k)) {
        throw_usage_error("report entry " + block.table + ": paper row " + row.dump() + " lacks key column '" + k +
                          "'");
      }
    }
    block.paper.push_back(row);
  }
  for (const auto& n : entry.value("notes", Json::array())) {
    PaperNote note;
    for (const auto& k : block.key) {
      if (n.contains(k)) note.key[k] = n.at(k);
    }
    if (!note.key.empty() && note.key.size() != block.key.size()) {
      throw_usage_error("report entry " + block.table + ": note " + n.dump() + " names some key columns but not all");
    }
    note.column = n.contains("column") ? as_text(n.at("column"), "column") : "";
    note.text = as_text(member(n, "note", "the text to show"), "note");
    block.notes.push_back(std::move(note));
  }
  return block;
}

Table render_paper_table(const PaperBlock& block, const std::vector<Table>& tables) {
  const auto source_it =
      std::find_if(tables.begin(), tables.end(), [&](const Table& t) { return t.name == block.source; });
  const Table* source = source_it == tables.end() ? nullptr : &*source_it;

  std::vector<std::string> published;
  for (const auto& row : block.paper) {
    for (auto it = row.begin(); it != row.end(); ++it) {
      const bool is_key = std::find(block.key.begin(), block.key.end(), it.key()) != block.key.end();
      if (!is_key && std::find(published.begin(), published.end(), it.key()) == published.end()) {
        published.push_back(it.key());
      }
    }
  }

  Table out;
  out.name = block.table;
  out.title = block.title;
  for (const auto& k : block.key) out.columns.push_back({k, ""});
  std::vector<bool> time_column;
  for (const auto& c : published) {
    std::string unit;
    if (source) {
      if (const auto index = column_index(*source, c)) unit = source->columns[*index].unit;
    }
    out.columns.push_back({"paper " + c, unit});
    out.columns.push_back({"corey " + c, unit});
    out.columns.push_back({"Δ " + c, unit});
    time_column.push_back(is_time_column(c, unit));
    if (time_column.back()) out.columns.push_back({"corey/paper " + c, ""});
  }
  out.columns.push_back({"notes", ""});

  std::vector<bool> note_used(block.notes.size(), false);
  for (const auto& paper_row : block.paper) {
    TableRow row;
    std::vector<std::string> row_notes;
    for (const auto& k : block.key) row.cells.push_back(paper_row.at(k));
    const Match match = source ? find_row(*source, block.key, paper_row)
                               : Match{nullptr, "the results have no table '" + block.source + "'"};
    if (match.row) {
      row.provenance = match.row->provenance;
    } else {
      row_notes.push_back("corey: " + match.reason);
    }
    for (std::size_t c = 0; c < published.size(); ++c) {
      const std::string& name = published[c];
      const Json paper = paper_row.contains(name) ? paper_row.at(name) : Json("");
      Json corey = "—";
      bool have_corey = false;
      if (match.row) {
        const auto index = column_index(*source, name);
        if (!index || *index >= match.row->cells.size()) {
          row_notes.push_back("corey " + name + ": table '" + source->name + "' has no column '" + name + "'");
        } else if (match.row->cells[*index].is_null()) {
          row_notes.push_back("corey " + name + ": no value (null) in '" + source->name + "'");
        } else {
          corey = match.row->cells[*index];
          have_corey = true;
        }
      }
      const bool comparable = paper_row.contains(name) && have_corey;
      row.cells.push_back(paper);
      row.cells.push_back(corey);
      row.cells.push_back(comparable ? difference(corey, paper) : Json(""));
      if (time_column[c]) {
        const bool ratio = comparable && corey.is_number() && paper.is_number() && paper.get<double>() != 0.0;
        row.cells.push_back(ratio ? Json(corey.get<double>() / paper.get<double>()) : Json(""));
      }
    }
    for (std::size_t n = 0; n < block.notes.size(); ++n) {
      if (!note_matches(block.notes[n], block.key, paper_row)) continue;
      note_used[n] = true;
      row_notes.push_back(block.notes[n].column.empty() ? block.notes[n].text
                                                        : block.notes[n].column + ": " + block.notes[n].text);
    }
    std::string joined;
    for (const auto& text : row_notes) joined += (joined.empty() ? "" : "; ") + text;
    row.cells.push_back(joined);
    out.rows.push_back(std::move(row));
  }

  for (std::size_t n = 0; n < block.notes.size(); ++n) {
    const PaperNote& note = block.notes[n];
    if (note_used[n]) continue;
    std::string where = note.key.empty() ? "" : "row " + key_text(block.key, note.key) + " (not in the paper's rows)";
    if (!note.column.empty()) where += (where.empty() ? "" : ", ") + note.column;
    out.notes.push_back(where.empty() ? note.text : where + ": " + note.text);
  }
  out.notes.push_back("paper: published value (PAPER.md); corey: table '" + block.source +
                      "' of these results; Δ = corey − paper");
  if (source) {
    for (const auto& note : source->notes) out.notes.push_back("corey: " + note);
  } else {
    std::string names;
    for (const auto& t : tables) names += (names.empty() ? "" : ", ") + t.name;
    out.notes.push_back("corey: the results have no table '" + block.source +
                        "' (tables: " + (names.empty() ? "none" : names) + ")");
  }
  return out;
}

}  // namespace corey::results
