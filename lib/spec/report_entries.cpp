#include "spec/report_entries.hpp"

#include <algorithm>
#include <set>

#include "spec/paths.hpp"
#include "spec/suggest.hpp"
#include "spec/value_types.hpp"

namespace corey::spec {

namespace {

const std::vector<std::string> kEntryKeys = {"table", "title", "source", "key", "paper", "notes"};

bool is_scalar(const Json& value) { return value.is_string() || value.is_number() || value.is_boolean(); }

void expect_type(const Json& value, ParamType type, const std::string& pointer, const PositionIndex& where) {
  if (!matches_type(value, type)) {
    throw_spec_error(pointer_to_display(pointer) + ": expected " + type_name(type) + ", found " + describe_value(value),
                     where.value(pointer));
  }
}

std::vector<std::string> check_key(const Json& key, const std::string& pointer, const PositionIndex& where) {
  expect_type(key, ParamType::list, pointer, where);
  if (key.empty()) throw_spec_error(pointer_to_display(pointer) + ": name at least one column", where.value(pointer));
  std::vector<std::string> columns;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const std::string item = pointer_join(pointer, i);
    expect_type(key[i], ParamType::string, item, where);
    const auto name = key[i].get<std::string>();
    if (name == "column" || name == "note") {
      throw_spec_error(pointer_to_display(item) + ": '" + name + "' is reserved in notes and cannot be a key column",
                       where.value(item));
    }
    if (std::find(columns.begin(), columns.end(), name) != columns.end()) {
      throw_spec_error(pointer_to_display(item) + ": column '" + name + "' is named twice", where.value(item));
    }
    columns.push_back(name);
  }
  return columns;
}

void check_paper_rows(const Json& rows, const std::vector<std::string>& key, const std::string& pointer,
                      const PositionIndex& where) {
  expect_type(rows, ParamType::list, pointer, where);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string row_ptr = pointer_join(pointer, i);
    const Json& row = rows[i];
    expect_type(row, ParamType::map, row_ptr, where);
    Json identity = Json::array();
    for (const auto& k : key) {
      if (!row.contains(k)) {
        throw_spec_error(pointer_to_display(row_ptr) + ": missing key column '" + k + "'", where.value(row_ptr));
      }
      identity.push_back(row.at(k));
    }
    std::size_t published = 0;
    for (auto it = row.begin(); it != row.end(); ++it) {
      const std::string cell = pointer_join(row_ptr, it.key());
      if (!is_scalar(it.value())) {
        throw_spec_error(
            pointer_to_display(cell) + ": expected a number, string or boolean, found " + describe_value(it.value()),
            where.value(cell));
      }
      if (std::find(key.begin(), key.end(), it.key()) == key.end()) ++published;
    }
    if (published == 0) {
      throw_spec_error(pointer_to_display(row_ptr) + ": no published value besides the key columns",
                       where.value(row_ptr));
    }
    if (!seen.insert(identity.dump()).second) {
      throw_spec_error(pointer_to_display(row_ptr) + ": another paper row has the same key " + identity.dump(),
                       where.value(row_ptr));
    }
  }
}

void check_notes(const Json& notes, const std::vector<std::string>& key, const std::string& pointer,
                 const PositionIndex& where) {
  expect_type(notes, ParamType::list, pointer, where);
  for (std::size_t i = 0; i < notes.size(); ++i) {
    const std::string note_ptr = pointer_join(pointer, i);
    const Json& note = notes[i];
    expect_type(note, ParamType::map, note_ptr, where);
    std::vector<std::string> allowed = key;
    allowed.insert(allowed.end(), {"column", "note"});
    std::size_t key_columns = 0;
    for (auto it = note.begin(); it != note.end(); ++it) {
      const std::string child = pointer_join(note_ptr, it.key());
      if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
        throw_spec_error("unknown key '" + it.key() + "' in " + pointer_to_display(note_ptr) +
                             " (a note names the key columns, 'column' and 'note')" + suggestion(it.key(), allowed),
                         where.key(child));
      }
      if (std::find(key.begin(), key.end(), it.key()) != key.end()) {
        ++key_columns;
        if (!is_scalar(it.value())) {
          throw_spec_error(
              pointer_to_display(child) + ": expected a number, string or boolean, found " + describe_value(it.value()),
              where.value(child));
        }
      } else {
        expect_type(it.value(), ParamType::string, child, where);
      }
    }
    if (!note.contains("note")) {
      throw_spec_error(pointer_to_display(note_ptr) + ": missing 'note' (the text to show)", where.value(note_ptr));
    }
    if (key_columns != 0 && key_columns != key.size()) {
      throw_spec_error(pointer_to_display(note_ptr) +
                           ": name every key column (a note on one row) or none (a note on the whole table)",
                       where.value(note_ptr));
    }
  }
}

void check_entry(const Json& entry, const std::string& pointer, const PositionIndex& where) {
  if (entry.is_string()) return;
  if (!entry.is_object()) {
    throw_spec_error(pointer_to_display(pointer) + ": expected a template name or a map with 'table', found " +
                         describe_value(entry),
                     where.value(pointer));
  }
  for (auto it = entry.begin(); it != entry.end(); ++it) {
    if (std::find(kEntryKeys.begin(), kEntryKeys.end(), it.key()) == kEntryKeys.end()) {
      throw_spec_error(
          "unknown key '" + it.key() + "' in " + pointer_to_display(pointer) + suggestion(it.key(), kEntryKeys),
          where.key(pointer_join(pointer, it.key())));
    }
  }
  if (!entry.contains("table")) {
    throw_spec_error(pointer_to_display(pointer) + ": missing 'table' (the template name, e.g. paper.tab_chunk_sweep)",
                     where.value(pointer));
  }
  for (const char* text_key : {"table", "title", "source"}) {
    if (entry.contains(text_key))
      expect_type(entry.at(text_key), ParamType::string, pointer_join(pointer, text_key), where);
  }
  const bool compares = entry.contains("paper") || entry.contains("notes");
  for (const char* needed : {"source", "key"}) {
    if (compares && !entry.contains(needed)) {
      throw_spec_error(pointer_to_display(pointer) + ": 'paper' and 'notes' need '" + needed +
                           "' (the results table to compare against and the columns that identify a row)",
                       where.value(pointer));
    }
  }
  std::vector<std::string> key;
  if (entry.contains("key")) key = check_key(entry.at("key"), pointer_join(pointer, "key"), where);
  if (entry.contains("paper")) check_paper_rows(entry.at("paper"), key, pointer_join(pointer, "paper"), where);
  if (entry.contains("notes")) check_notes(entry.at("notes"), key, pointer_join(pointer, "notes"), where);
}

}  // namespace

void check_report_entries(const Json& report, const PositionIndex& where) {
  expect_type(report, ParamType::list, "/report", where);
  for (std::size_t i = 0; i < report.size(); ++i) check_entry(report[i], pointer_join("/report", i), where);
}

}  // namespace corey::spec
