#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"

namespace corey::results {

enum class Status { ok, skipped, failed, invalid, timeout, oom, verify_failed, chunk_not_honoured, launch_error };

std::string_view to_string(Status status);
Status status_from_string(std::string_view text);  // throws corey::Error (spec) on an unknown name

// A file one point handed to the runner, as its record lists it: `file` is relative to the run's out dir.
struct Artifact {
  std::string name;
  std::string file;
  std::uint64_t bytes = 0;
  std::string sha256;
};

// Throws corey::Error (usage) unless `name` is a plain portable file name: 1 to 255 of [A-Za-z0-9._-], not
// starting with '.' (so no '/', no '..', no hidden or temporary files).
void check_artifact_name(std::string_view name);
// Where the runner keeps a point's artifacts, relative to the out dir: "artifacts/<point id>" and
// "artifacts/<point id>/<name>".
std::string artifact_dir(std::string_view point_id);
std::string artifact_file(std::string_view point_id, std::string_view name);

// What one point produced (HARNESS.md §3.3). Tier-specific blocks (measure, time_s, verify, chunk_report,
// metrics, ...) go into `fields`, in the order the tier adds them.
struct Record {
  std::string point_id;
  std::size_t index = 0;
  Json params = Json::object();
  std::optional<int> device;  // CUDA device index, when a device ran it
  Status status = Status::ok;
  std::optional<std::string> reason;  // always set when status != ok
  bool faithful_to_paper = false;
  std::vector<std::string> inherits_flaws;  // PAPER.md §9 flaw ids, e.g. "F1"
  Json fields = Json::object();
  std::vector<Artifact> artifacts;  // written by the runner before the record is streamed; "artifacts" in JSON


  Json to_json() const;
  static Record from_json(const Json& json);
};

}  // namespace corey::results
