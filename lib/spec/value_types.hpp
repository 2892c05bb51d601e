#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "spec/param_schema.hpp"

namespace corey::spec {

// "integer", "number", "string", ... as error messages name a ParamType.
std::string type_name(ParamType type);
// How a value reads in an error message: "string 'high'", "integer 3", "boolean true", "list", ...
std::string describe_value(const Json& value);
bool matches_type(const Json& value, ParamType type);

// Checks a value against its declared type and choices, and normalizes it so equal values hash equally
// (an integer given for a `number` becomes a float). `label` names the value in the message
// ("params.chunk"). Throws corey::Error (spec) at `where`.
void check_value(Json& value, ParamType type, const std::vector<std::string>& choices, std::string_view label,
                 const SourcePos& where);

inline void check_param(Json& value, const ParamInfo& info, std::string_view label, const SourcePos& where) {
  check_value(value, info.type, info.choices, label, where);
}

}  // namespace corey::spec
