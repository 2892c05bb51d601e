#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "spec/param_schema.hpp"

namespace corey::spec {

// What a key of the fixed part of corey.spec/1 may hold. A map rule with children has a closed key set
// (unknown keys are errors); without children its keys are free (params, sweep.product, ...), checked
// elsewhere.
struct KeyRule {
  enum class Range { any, non_negative, positive, open_unit };  // open_unit: 0 < x < 1

  std::string name;
  ParamType type = ParamType::any;
  std::vector<std::string> choices;  // allowed strings (for lists: allowed items)
  std::vector<KeyRule> children;
  ParamType item_type = ParamType::any;  // element type of a list
  bool scalar_or_list = false;           // one value or a list of them (`measure.mode: [cold, batch]`)
  Range range = Range::any;
};

// The top-level keys of corey.spec/1 with their nested closed sections (HARNESS.md §2.1, §4).
const std::vector<KeyRule>& top_level_rules();

// Where the document's values and keys came from, for error messages.
struct PositionIndex {
  const std::map<std::string, SourcePos>* values;
  const std::map<std::string, SourcePos>* keys;
  SourcePos fallback;
  SourcePos value(const std::string& pointer) const;
  SourcePos key(const std::string& pointer) const;
};

// Checks (and normalizes, see check_value) the entries of `map` at `pointer` against `rules`: unknown keys
// with a did-you-mean, types, choices and ranges, recursing into closed sections. `section` names the map in
// messages ("measure", or empty for the top level).
void check_section(Json& map, const std::vector<KeyRule>& rules, const std::string& pointer,
                   const std::string& section, const PositionIndex& where);

}  // namespace corey::spec
