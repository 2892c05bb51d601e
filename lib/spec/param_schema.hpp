#pragma once
#include <string>
#include <vector>

#include "core/json.hpp"

namespace corey::spec {

enum class ParamType { integer, number, string, boolean, list, map, any };

// One parameter a tier accepts: its type (for `--set` typing and "expected X, found Y" errors), its default
// (applied when the spec omits it, so every point's params are fully resolved) and, for strings, the
// allowed values (empty = any).
struct ParamInfo {
  std::string name;
  ParamType type = ParamType::any;
  Json default_value;  // null = required unless swept
  std::vector<std::string> choices;
  std::string help;
};

using ParamSchema = std::vector<ParamInfo>;

}  // namespace corey::spec
