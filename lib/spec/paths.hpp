#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"

namespace corey::spec {

// JSON pointers (RFC 6901) address keys of the resolved document; dotted paths (`rule.h_ref`) are how users
// name them in `--set`, sweep axes and expressions.
std::string pointer_escape(std::string_view token);
std::string pointer_join(const std::string& parent, std::string_view token);
std::string pointer_join(const std::string& parent, std::size_t index);
std::vector<std::string> split_dotted(std::string_view dotted);
// "/params" + "rule.h_ref" -> "/params/rule/h_ref".
std::string dotted_to_pointer(const std::string& parent, std::string_view dotted);
// "/measure/warmup/runs" -> "measure.warmup.runs", "/report/0" -> "report[0]", "" -> "(document)".
std::string pointer_to_display(const std::string& pointer);

// The value at a dotted path inside a map, or nullptr.
const Json* find_dotted(const Json& root, std::string_view dotted);
// Writes `value` at a dotted path, creating maps on the way; returns false (writing nothing) when a
// non-map value is in the way.
bool set_dotted(Json& root, std::string_view dotted, Json value);

}  // namespace corey::spec
