#pragma once
#include <cstddef>
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
  // position of its value, or to "--set params.repeats=..." for overridden keys. A quoted string's
  // position is its first character inside the quotes; a block map or list is positioned at its key.
  std::map<std::string, SourcePos> positions;
  // Position of the key itself for map entries (what an "unknown key" message points at).
  std::map<std::string, SourcePos> key_positions;

  // The params schema the spec was checked against (absent when no tier implements the experiment);
  // `expand` types swept values with it.
  std::optional<ParamSchema> param_schema;

  // SHA-256 (hex) of the canonical JSON of `resolved`.
  std::string hash() const;

  // Best known position of a JSON pointer: itself, else its nearest ancestor, else the file.
  SourcePos where(const std::string& json_pointer) const;

  // Position of a parameter's value: the sweep axis that varies it, else /params/<name>. Dotted names
  // (`rule.h_ref`) address nested params.
  SourcePos where_param(const std::string& name) const;
};

// The params schema of an experiment, or nullptr when no tier implements it (params are then unchecked).
using SchemaLookup = std::function<const ParamSchema*(std::string_view experiment)>;

// Loads, merges `extends`, applies `--set key.path=value` overrides (typed by the schema), fills param
// defaults (every parameter the spec does not name gets its default; a map the spec gives replaces the
// default map whole, since tiers read missing sub-keys with their own defaults), interpolates `${name}` and
// `${env:VAR,default}`, validates (including the sweep's structure and its `where` expressions). Throws corey::Error (kind spec, with file:line:column) on any problem; a spec
// file that cannot be read at all is an io error.
// `experiment_from_cli` is the subcommand that loads it (empty for `validate`/`plan`, where the spec's own
// `experiment` key decides).
Spec load_spec(const std::string& path, const std::vector<std::string>& set_overrides,
               std::string_view experiment_from_cli, const SchemaLookup& schemas);

// Replaces `${key}` by vars.at(key) and `${env:VAR,default}` by the environment variable VAR (the default
// when VAR is unset or empty; an error when there is no default). `${run_id}` and `${spec_hash}` stay
// untouched unless `vars` names them, so the loader can resolve `${name}` and leave those to the runner.
// Any other `${...}` is a spec error at `where` (when given).
std::string interpolate(std::string_view text, const std::map<std::string, std::string>& vars,
                        const std::optional<SourcePos>& where = std::nullopt);

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
  std::size_t duplicates_removed = 0;  // points dropped because an earlier point had the same id
  std::size_t sampled_from = 0;        // points before `sample` drew its subset (0 = no sampling)
};

// Deterministic expansion: product × zip, include, where, dedupe by id, sample (HARNESS.md §2.2).
//
// `sample: {random: N, seed: S}` keeps N points: a std::mt19937_64 seeded with S drives a partial
// Fisher-Yates shuffle of the indices 0..M-1 (step i swaps i with i + draw(M - i)), where draw(r) takes the
// next 64-bit output x, rejects x < (2^64 - r) mod r and returns x mod r. The first N shuffled indices,
// sorted ascending, are kept, so the sample keeps planned order. std::mt19937_64's output is fixed by the
// C++ standard, so the subset is the same on every platform.
Plan expand(const Spec& spec);

// Canonical JSON: object keys sorted by bytes, no whitespace, integers as integers, floats in the shortest
// form that reads back to the same double (std::to_chars) with ".0" appended when that form looks like an
// integer (so 8.0 and 8 stay distinct), strings escaped minimally (\" \\ \b \f \n \r \t, other control
// characters as \u00xx, everything else verbatim UTF-8). Throws corey::Error (spec) on NaN or infinity.
std::string canonical_json(const Json& value);
std::string point_id(std::string_view experiment, const Json& params);

}  // namespace corey::spec
