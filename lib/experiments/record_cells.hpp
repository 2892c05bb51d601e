#pragma once
#include <initializer_list>

#include "core/json.hpp"

namespace corey::experiments {

// Reading a record's fields into summary-table cells, where a missing value is an empty cell (null).

// The value at `path` (object keys) inside `j`, or null when any step is missing.
Json at_path(const Json& j, std::initializer_list<const char*> path);

// Seconds as milliseconds, or null when `seconds` is not a number.
Json ms_of(const Json& seconds);

}  // namespace corey::experiments
