#include "experiments/yaml_emit.hpp"

#include <yaml-cpp/yaml.h>

#include "core/python_format.hpp"

namespace corey::experiments {

namespace {

void emit(YAML::Emitter& out, const Json& value) {
  if (value.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [key, item] : value.items()) {
      out << YAML::Key << key << YAML::Value;
      emit(out, item);
    }
    out << YAML::EndMap;
  } else if (value.is_array()) {
    const bool scalars_only = std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_primitive(); });
    out << (scalars_only ? YAML::Flow : YAML::Block) << YAML::BeginSeq;
    for (const auto& item : value) emit(out, item);
    out << YAML::EndSeq;
  } else if (value.is_string()) {
    out << YAML::DoubleQuoted << value.get<std::string>();
  } else if (value.is_boolean()) {
    out << value.get<bool>();
  } else if (value.is_null()) {
    out << YAML::Null;
  } else if (value.is_number_float()) {
    out << python_float_repr(value.get<double>());
  } else {
    out << value.dump();
  }
}

}  // namespace

std::string to_yaml(const Json& document) {
  YAML::Emitter out;
  emit(out, document);
  return std::string(out.c_str()) + "\n";
}

}  // namespace corey::experiments
