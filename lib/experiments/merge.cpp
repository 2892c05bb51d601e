#include "experiments/merge.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"
#include "experiments/spec_loading.hpp"
#include "experiments/tier.hpp"

namespace corey::experiments {

namespace {

std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const auto& input : inputs) {
    if (std::filesystem::is_directory(input)) {
      std::vector<std::string> found;
      for (const auto& entry : std::filesystem::directory_iterator(input)) {
        const auto name = entry.path().filename().string();
        if (entry.path().extension() == ".json" && (name.rfind("shard-", 0) == 0 || name == "results.json"))
          found.push_back(entry.path().string());
      }
      if (found.empty()) throw_io_error("no shard results (shard-*.json) in " + input);
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(input);
    }
  }
  if (files.empty()) throw_usage_error("merge: no input files");
  return files;
}

// Run keys that describe one shard's process, kept per shard in the merged provenance. The merged run block
// drops the shard-only ones and spans the shards' start and finish times.
constexpr const char* per_shard_run_keys[] = {"started_at", "finished_at", "wall_s", "devices", "workers"};
constexpr const char* shard_only_run_keys[] = {"wall_s", "devices", "workers"};

Json env_identity(const Json& env) {
  Json devices = Json::array();
  for (const auto& d : env.value("devices", Json::array())) devices.push_back(d.value("name", std::string{}));
  const Json cuda = env.value("cuda", Json());
  return Json{{"git_sha", env.value("corey", Json::object()).value("git_sha", std::string{})},
              {"devices", devices},
              {"driver", cuda.is_object() ? cuda.value("driver_version", Json()) : Json()}};
}

}  // namespace

results::ResultsFile merge_results(const std::vector<std::string>& inputs, const MergeOptions& options) {
  const auto files = expand_inputs(inputs);
  results::ResultsFile merged;
  Json provenance = Json::array();
  std::string spec_hash;
  Json planned;
  Json first_env_identity;
  std::map<std::string, std::string> seen_in;  // point id → file
  std::vector<std::string> duplicates;
  for (const auto& path : files) {
    auto shard = results::load_results(path);
    const std::string hash = shard.run.value("spec_sha256", std::string{});
    if (spec_hash.empty()) {
      spec_hash = hash;
      planned = shard.run.value("planned", Json::array());
      first_env_identity = env_identity(shard.env);
      merged.run = shard.run;
      merged.env = shard.env;
      merged.axes = shard.axes;
    } else {
      if (hash != spec_hash)
        throw Error(ErrorKind::merge_coverage, "spec hash " + hash.substr(0, 12) + " differs from " +
                    spec_hash.substr(0, 12) + " of " + files.front(), SourcePos{path});
      if (shard.run.value("planned", Json::array()) != planned)
        throw Error(ErrorKind::merge_coverage, "planned point set differs from " + files.front(), SourcePos{path});
      if (env_identity(shard.env) != first_env_identity && !options.allow_mixed_env)
        throw Error(ErrorKind::usage, "environment (corey build, GPU model or driver) differs from " + files.front() +
                    ": " + env_identity(shard.env).dump() + " vs " + first_env_identity.dump() +
                    "; use --allow-mixed-env to merge anyway", SourcePos{path});
    }
    Json artifact_points = Json::array();
    for (auto& record : shard.records) {
      auto [it, inserted] = seen_in.emplace(record.point_id, path);
      if (!inserted) {
        duplicates.push_back(record.point_id + " (in " + it->second + " and " + path + ")");
        continue;
      }
      if (!record.artifacts.empty()) artifact_points.push_back(record.point_id);
      merged.records.push_back(std::move(record));
    }
    const Json shard_info = shard.run.value("shard", Json::object());
    const Json slurm = shard_info.value("slurm", Json());
    const std::string dir = std::filesystem::path(path).parent_path().string();
    Json entry{{"file", path},
               {"dir", dir.empty() ? "." : dir},
               {"sha256", sha256_hex(read_file(path))},
               {"host", shard.env.value("host", std::string{})},
               {"shard_index", shard_info.value("index", 0)},
               {"array_task_id", slurm.is_object() ? slurm.value("SLURM_ARRAY_TASK_ID", Json()) : Json()}};
    for (const char* key : per_shard_run_keys)
      if (shard.run.contains(key)) entry[key] = shard.run[key];
    entry["artifact_points"] = artifact_points;
    provenance.push_back(entry);
  }
  if (!duplicates.empty()) {
    std::string list;
    for (const auto& d : duplicates) list += "\n  " + d;
    throw Error(ErrorKind::merge_coverage, "duplicate points:" + list);
  }
  Json missing = Json::array();
  for (const auto& id : planned)
    if (!seen_in.count(id.get<std::string>())) missing.push_back(id);
  if (!missing.empty() && !options.allow_partial)
    throw Error(ErrorKind::merge_coverage, std::to_string(missing.size()) + " of " + std::to_string(planned.size()) +
                " planned points are missing (e.g. " + missing.front().get<std::string>() +
                "); use --allow-partial to write a partial result");
  std::sort(merged.records.begin(), merged.records.end(),
            [](const results::Record& a, const results::Record& b) { return a.index < b.index; });
  // First start to last finish (the UTC stamps sort as text).
  std::string started_at;
  std::string finished_at;
  for (const auto& entry : provenance) {
    const std::string started = entry.value("started_at", std::string{});
    const std::string finished = entry.value("finished_at", std::string{});
    if (!started.empty() && (started_at.empty() || started < started_at)) started_at = started;
    if (finished > finished_at) finished_at = finished;
  }
  for (const char* key : shard_only_run_keys) merged.run.erase(key);
  if (!started_at.empty()) merged.run["started_at"] = started_at;
  if (!finished_at.empty()) merged.run["finished_at"] = finished_at;
  merged.run["status"] = missing.empty() ? "complete" : "partial";
  merged.run.erase("missing");
  if (!missing.empty()) merged.run["missing"] = missing;
  merged.run["shard"] = Json{{"index", 0}, {"count", 1}, {"merged_from", provenance}};

  const auto spec = spec_from_resolved(merged.run.value("resolved_spec", Json::object()), files.front());
  if (auto tier = make_tier(spec.experiment)) merged.tables = tier->summarize(spec, merged.records);
  return merged;
}

}  // namespace corey::experiments
