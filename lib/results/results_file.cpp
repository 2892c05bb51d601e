#include "results/results_file.hpp"

#include <map>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace corey::results {

Json ResultsFile::summary(double wall_s) const {
  std::map<std::string, int> counts;
  for (const auto& r : records) counts[std::string(to_string(r.status))]++;
  Json s;
  s["points"] = records.size();
  s["ok"] = counts["ok"];
  s["skipped"] = counts["skipped"];
  s["failed"] = static_cast<int>(records.size()) - counts["ok"] - counts["skipped"];
  s["wall_s"] = wall_s;
  return s;
}

Json ResultsFile::to_json(double wall_s) const {
  Json j;
  j["schema"] = results_schema;
  j["schema_version"] = results_schema_version;
  j["run"] = run;
  j["env"] = env;
  j["axes"] = axes;
  Json recs = Json::array();
  for (const auto& r : records) recs.push_back(r.to_json());
  j["results"] = recs;
  Json tabs = Json::array();
  for (const auto& t : tables) tabs.push_back(t.to_json());
  j["tables"] = tabs;
  j["summary"] = summary(wall_s);
  return j;
}

ResultsFile ResultsFile::from_json(const Json& json, const std::string& path) {
  const std::string schema = json.value("schema", std::string{});
  if (schema.rfind("corey.results/1", 0) != 0)
    throw Error(ErrorKind::usage, "not a corey.results/1 file (schema '" + schema + "')", SourcePos{path});
  ResultsFile f;
  f.run = json.value("run", Json::object());
  f.env = json.value("env", Json::object());
  f.axes = json.value("axes", Json::array());
  try {
    for (const auto& r : json.at("results")) f.records.push_back(Record::from_json(r));
    if (json.contains("tables"))
      for (const auto& t : json.at("tables")) f.tables.push_back(Table::from_json(t));
  } catch (const Error& e) {
    throw Error(ErrorKind::usage, e.message(), SourcePos{path});
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::usage, std::string("malformed results file: ") + e.what(), SourcePos{path});
  }
  return f;
}

ResultsFile load_results(const std::string& path) {
  const std::string text = read_file(path);
  Json json;
  try {
    json = Json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(ErrorKind::usage, std::string("not valid JSON: ") + e.what(), SourcePos{path});
  }
  return ResultsFile::from_json(json, path);
}

}  // namespace corey::results
