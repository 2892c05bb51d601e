#include "model/model_runner.hpp"

namespace corey::model {

std::int64_t apply_guard(const BackendChunkRule& rule, std::int64_t q) {
  if (rule.guard_fallback < 1) return q;
  return entropy::guard_replaces(q, rule.guard_fallback, rule.guard_min_delta_buckets) ? rule.guard_fallback : q;
}

}  // namespace corey::model
