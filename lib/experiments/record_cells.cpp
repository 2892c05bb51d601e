#include "experiments/record_cells.hpp"

namespace corey::experiments {

Json at_path(const Json& j, std::initializer_list<const char*> path) {
  const Json* at = &j;
  for (const char* key : path) {
    if (!at->is_object() || !at->contains(key)) return nullptr;
    at = &(*at)[key];
  }
  return *at;
}

Json ms_of(const Json& seconds) { return seconds.is_number() ? Json(seconds.get<double>() * 1e3) : Json(nullptr); }

}  // namespace corey::experiments
