#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "spec/param_schema.hpp"

namespace corey::spec {

inline constexpr std::string_view schema_id = "corey.spec/1";

// A fully resolved experiment spec (`extends` merged, `--set` applied, validated against corey.spec/1).
struct Spec {
  std::string path;        // the file it was loaded from, as the user named it
  std::string name;
  std::string experiment;  // costmodel | kernel-sweep | routed-ablation | mixed-regime
  Json params = Json::object();
  Json sweep = Json::object();    // product / zip / include / where / sample
  Json measure = Json::object();
  Json verify = Json::object();
  Json stats = Json::object();
  Json order = Json::object();
  Json output = Json::object();
  Json report = Json::array();
  Json devices = Json::array();
  Json resolved = Json::object();  // the whole resolved document, embedded in every results file
  std::vector<std::string> overrides;  // the `--set` arguments, in order

  // Where a key of the resolved document came from: a JSON pointer ("/params/repeats") maps to the file
  // position of its value, or to "--set params.repeats=..." for overridden keys.
  std::map<std::string, SourcePos> positions;

  // SHA-256 (hex) of the canonical JSON of `resolved`.
  std::string hash() const;

  // Best known position of a JSON pointer: itself, else its nearest ancestor, else the file.
  SourcePos where(const std::string& json_pointer) const;

  // Position of a parameter's value: the sweep axis that varies it, else /params/<name>.
  SourcePos where_param(const std::string& name) const;
};

// The params schema of an experiment, or nullptr when no tier implements it (params are then unchecked).
using SchemaLookup = std::function<const ParamSchema*(std::string_view experiment)>;

// Loads, merges `extends`, applies `--set key.path=value` overrides (typed by the schema), fills param
// defaults, validates. Throws corey::Error (kind spec, with file:line:column) on any problem.
// `experiment_from_cli` is the subcommand that loads it (empty for `validate`/`plan`, where the spec's own
// `experiment` key decides).
Spec load_spec(const std::string& path, const std::vector<std::string>& set_overrides,
               std::string_view experiment_from_cli, const SchemaLookup& schemas);

// One fully resolved parameter set: spec params merged with this point's sweep values.
struct Point {
  std::string id;          // first 12 hex digits of SHA-256 over canonical {experiment, params}
  std::size_t index = 0;   // position in the planned list
  Json params = Json::object();
};

struct SkippedPoint {
  std::string id;
  Json params = Json::object();
  std::string reason;      // e.g. "where: chunk <= seq_len"
};

struct Plan {
  std::vector<Point> points;
  std::vector<SkippedPoint> skipped;
};

// Deterministic expansion: product × zip, include, where, dedupe by id, sample (HARNESS.md §2.2).
Plan expand(const Spec& spec);

// Canonical JSON (sorted keys, no whitespace, shortest round-trip floats) and the point id derived from it.
std::string canonical_json(const Json& value);
std::string point_id(std::string_view experiment, const Json& params);

}  // namespace corey::spec
