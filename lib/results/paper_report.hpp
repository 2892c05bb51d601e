#pragma once
#include <string>
#include <vector>

#include "core/json.hpp"
#include "results/table.hpp"

namespace corey::results {

// A note the spec attaches to the paper's layout: to one cell (key + column), one row (key), or the whole table.
struct PaperNote {
  Json key = Json::object();  // key column -> value; empty for a note on the whole table
  std::string column;         // empty for a note on the whole row (or table)
  std::string text;
};

// One `report:` map of a spec: the published values of a paper table and the results table they compare with.
struct PaperBlock {
  std::string table;  // template name, also the rendered table's name
  std::string title;
  std::string source;  // name of a table summarize() produced
  std::vector<std::string> key;
  std::vector<Json> paper;  // maps: key columns and published columns
  std::vector<PaperNote> notes;

  // From the spec's (already validated) entry; throws corey::Error (usage) when it is not a map of that form.
  static PaperBlock from_json(const Json& entry);
};

// The paper's layout: one row per published row, the key columns, then for each published column (in order of
// first appearance) "paper <c>", "corey <c>" (from the matching row of `block.source`) and "Δ <c>" (corey −
// paper for numbers, "=" or "≠" otherwise), plus "corey/paper <c>" for time columns (ms, s, us: the hardware
// differs, so the ratio is what carries over), and a last "notes" column. A published cell corey cannot fill
// shows "—" and its reason in the notes column; nothing is dropped. The block's table-wide notes and the
// source table's own notes become the table's notes; each row keeps the provenance of its corey row.
Table render_paper_table(const PaperBlock& block, const std::vector<Table>& tables);

}  // namespace corey::results
