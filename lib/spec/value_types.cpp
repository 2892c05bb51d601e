#include "spec/value_types.hpp"

#include <algorithm>

#include "spec/suggest.hpp"

namespace corey::spec {

std::string type_name(ParamType type) {
  switch (type) {
    case ParamType::integer:
      return "integer";
    case ParamType::number:
      return "number";
    case ParamType::string:
      return "string";
    case ParamType::boolean:
      return "boolean";
    case ParamType::list:
      return "list";
    case ParamType::map:
      return "map";
    case ParamType::any:
      return "any value";
  }
  return "value";
}

std::string describe_value(const Json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return value.get<bool>() ? "boolean true" : "boolean false";
  if (value.is_number_integer()) return "integer " + value.dump();
  if (value.is_number()) return "number " + value.dump();
  if (value.is_string()) return "string '" + value.get<std::string>() + "'";
  if (value.is_array()) return "list " + value.dump();
  return "map " + value.dump();
}

bool matches_type(const Json& value, ParamType type) {
  switch (type) {
    case ParamType::integer:
      return value.is_number_integer();
    case ParamType::number:
      return value.is_number();
    case ParamType::string:
      return value.is_string();
    case ParamType::boolean:
      return value.is_boolean();
    case ParamType::list:
      return value.is_array();
    case ParamType::map:
      return value.is_object();
    case ParamType::any:
      return true;
  }
  return false;
}

void check_value(Json& value, ParamType type, const std::vector<std::string>& choices, std::string_view label,
                 const SourcePos& where) {
  if (!matches_type(value, type)) {
    throw_spec_error(std::string(label) + ": expected " + type_name(type) + ", found " + describe_value(value),
                     where);
  }
  if (type == ParamType::number && value.is_number_integer()) value = value.get<double>();
  if (!choices.empty() && value.is_string()) {
    const auto text = value.get<std::string>();
    if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
      throw_spec_error(std::string(label) + ": unknown value '" + text + "'" + suggestion(text, choices), where);
    }
  }
}

}  // namespace corey::spec
