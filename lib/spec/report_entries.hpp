#pragma once
#include "core/json.hpp"
#include "spec/document_rules.hpp"

namespace corey::spec {

// Checks the spec's `report:` list. An entry is a template name, or a map that sets the paper's published
// values beside a results table (PAPER.md, rendered by `corey report --paper`):
//   table: template name (required)      title: caption          source: results table to compare against
//   key: [columns identifying a row]      paper: [{<key columns>, <published column>: value, ...}]
//   notes: [{<key columns>, column: name, note: text}]   (no key columns: a note on the whole table)
// `paper` and `notes` need `source` and `key`; every paper row names every key column, a value of at least one
// other column, and a key no other row has. Throws corey::Error (spec) at the offending value's file:line.
void check_report_entries(const Json& report, const PositionIndex& where);

}  // namespace corey::spec
