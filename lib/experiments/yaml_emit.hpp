#pragma once
#include <string>

#include "core/json.hpp"

namespace corey::experiments {

// Block-style YAML of a JSON document, used for resolved_spec.yaml so a run can be re-run from its output.
std::string to_yaml(const Json& document);

}  // namespace corey::experiments
