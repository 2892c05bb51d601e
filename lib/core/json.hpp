#pragma once
#include <nlohmann/json.hpp>

namespace corey {
// Results keep a stable key order (ARCHITECTURE.md §6).
using Json = nlohmann::ordered_json;
}  // namespace corey
