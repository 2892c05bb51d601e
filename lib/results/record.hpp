#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"

namespace corey::results {

enum class Status { ok, skipped, failed, invalid, timeout, oom, verify_failed, chunk_not_honoured, launch_error };

std::string_view to_string(Status status);
Status status_from_string(std::string_view text);  // throws corey::Error (spec) on an unknown name

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

  Json to_json() const;
  static Record from_json(const Json& json);
};

}  // namespace corey::results
