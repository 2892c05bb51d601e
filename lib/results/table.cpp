#include "results/table.hpp"

#include "core/error.hpp"

namespace corey::results {

Json Table::to_json() const {
  Json j;
  j["table"] = name;
  j["title"] = title;
  Json cols = Json::array();
  for (const auto& c : columns) {
    Json col{{"name", c.name}};
    if (!c.unit.empty()) col["unit"] = c.unit;
    cols.push_back(col);
  }
  j["columns"] = cols;
  Json out_rows = Json::array();
  for (const auto& row : rows) out_rows.push_back(Json{{"cells", row.cells}, {"provenance", row.provenance}});
  j["rows"] = out_rows;
  j["notes"] = notes;
  return j;
}

Table Table::from_json(const Json& json) {
  Table t;
  try {
    t.name = json.at("table").get<std::string>();
    t.title = json.value("title", std::string{});
    for (const auto& c : json.at("columns")) t.columns.push_back({c.at("name").get<std::string>(), c.value("unit", std::string{})});
    for (const auto& r : json.at("rows")) {
      TableRow row;
      for (const auto& cell : r.at("cells")) row.cells.push_back(cell);
      if (r.contains("provenance")) row.provenance = r.at("provenance").get<std::vector<std::string>>();
      t.rows.push_back(std::move(row));
    }
    if (json.contains("notes")) t.notes = json.at("notes").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw_spec_error(std::string("malformed table: ") + e.what());
  }
  return t;
}

}  // namespace corey::results
