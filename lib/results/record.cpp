#include "results/record.hpp"

#include <algorithm>
#include <array>

#include "core/error.hpp"

namespace corey::results {

namespace {
constexpr std::array<std::pair<Status, std::string_view>, 9> status_names{{
    {Status::ok, "ok"},
    {Status::skipped, "skipped"},
    {Status::failed, "failed"},
    {Status::invalid, "invalid"},
    {Status::timeout, "timeout"},
    {Status::oom, "oom"},
    {Status::verify_failed, "verify_failed"},
    {Status::chunk_not_honoured, "chunk_not_honoured"},
    {Status::launch_error, "launch_error"},
}};
}  // namespace

std::string_view to_string(Status status) {
  for (const auto& [value, name] : status_names)
    if (value == status) return name;
  return "failed";
}

Status status_from_string(std::string_view text) {
  for (const auto& [value, name] : status_names)
    if (name == text) return value;
  throw_spec_error("unknown record status '" + std::string(text) + "'");
}

void check_artifact_name(std::string_view name) {
  const bool portable = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
  if (name.empty() || name.size() > 255 || name.front() == '.' || !portable)
    throw_usage_error("artifact name '" + std::string(name) +
                      "' is not a plain file name (1 to 255 of A-Z a-z 0-9 . _ -, not starting with '.')");
}

std::string artifact_dir(std::string_view point_id) { return "artifacts/" + std::string(point_id); }

std::string artifact_file(std::string_view point_id, std::string_view name) {
  return artifact_dir(point_id) + "/" + std::string(name);
}

Json Record::to_json() const {
  Json j;
  j["point_id"] = point_id;
  j["index"] = index;
  j["params"] = params;
  j["device"] = device ? Json(*device) : Json(nullptr);
  j["status"] = std::string(to_string(status));
  j["reason"] = reason ? Json(*reason) : Json(nullptr);
  j["faithful_to_paper"] = faithful_to_paper;
  j["inherits_flaws"] = inherits_flaws;
  for (const auto& [key, value] : fields.items()) j[key] = value;
  // Only records that have artifacts carry the key, so every other record reads as before.
  if (!artifacts.empty()) {
    Json list = Json::array();
    for (const Artifact& a : artifacts)
      list.push_back(Json{{"name", a.name}, {"file", a.file}, {"bytes", a.bytes}, {"sha256", a.sha256}});
    j["artifacts"] = list;
  }
  return j;
}

Record Record::from_json(const Json& json) {
  static const std::array<std::string_view, 9> core_keys{"point_id", "index", "params", "device",
                                                         "status", "reason", "faithful_to_paper",
                                                         "inherits_flaws", "artifacts"};
  Record r;
  try {
    r.point_id = json.at("point_id").get<std::string>();
    r.index = json.at("index").get<std::size_t>();
    r.params = json.at("params");
    if (json.contains("device") && !json.at("device").is_null()) r.device = json.at("device").get<int>();
    r.status = status_from_string(json.at("status").get<std::string>());
    if (json.contains("reason") && !json.at("reason").is_null()) r.reason = json.at("reason").get<std::string>();
    r.faithful_to_paper = json.value("faithful_to_paper", false);
    if (json.contains("inherits_flaws")) r.inherits_flaws = json.at("inherits_flaws").get<std::vector<std::string>>();
    if (json.contains("artifacts")) {
      for (const auto& a : json.at("artifacts")) {
        r.artifacts.push_back({a.at("name").get<std::string>(), a.at("file").get<std::string>(),
                               a.at("bytes").get<std::uint64_t>(), a.at("sha256").get<std::string>()});
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw_spec_error(std::string("malformed record: ") + e.what());
  }
  for (const auto& [key, value] : json.items()) {
    bool is_core = false;
    for (auto k : core_keys) is_core = is_core || key == k;
    if (!is_core) r.fields[key] = value;
  }
  return r;
}

}  // namespace corey::results
