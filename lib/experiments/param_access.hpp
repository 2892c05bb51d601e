#pragma once
#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "core/json.hpp"
#include "spec/spec.hpp"

namespace corey::experiments {

// A bad parameter value: a spec error at the parameter's position when the spec is known (validation), a
// usage error otherwise.
[[noreturn]] inline void bad_param(const std::string& name, const std::string& what, const spec::Spec* spec) {
  if (spec) throw_spec_error(name + ": " + what, spec->where_param(name));
  throw_usage_error(name + ": " + what);
}

// A point's parameter as T, or bad_param naming it.
template <class T>
T param_value(const Json& params, const std::string& name, const spec::Spec* spec) {
  if (!params.contains(name)) bad_param(name, "missing", spec);
  try {
    return params.at(name).get<T>();
  } catch (const Json::exception&) {
    bad_param(name, "has the wrong type (" + params.at(name).dump() + ")", spec);
  }
}

// A file named in a spec: relative paths are found beside the spec file (like `extends`) when they exist
// there, else taken as given (relative to the working directory).
inline std::string resolve_spec_path(const std::string& path, const spec::Spec* spec) {
  namespace fs = std::filesystem;
  if (path.empty() || fs::path(path).is_absolute() || !spec || spec->path.empty()) return path;
  const fs::path beside = fs::path(spec->path).parent_path() / path;
  return fs::exists(beside) ? beside.lexically_normal().string() : path;
}

}  // namespace corey::experiments
