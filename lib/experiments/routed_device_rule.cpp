#include "experiments/routed_device_rule.hpp"

#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace corey::experiments {
namespace {

constexpr std::string_view kPrefix = "device_";

// The rule a host rule row describes (sched::RuleScheduler::describe), so the device row uses exactly the
// host row's h_ref, range and rounding.
entropy::ChunkRule rule_of(const Json& described) {
  const Json& r = described.at("rule");
  return entropy::ChunkRule{r.at("h_ref").get<double>(), r.at("c_min").get<std::int64_t>(),
                            r.at("c_max").get<std::int64_t>(),
                            entropy::rounding_from_string(r.at("rounding").get<std::string>())};
}

}  // namespace

bool is_device_row(std::string_view row) { return row.starts_with(kPrefix); }

std::int64_t DeviceRow::decide_from_entropy(double entropy) const {
  return model::apply_guard(*backend, entropy::choose_chunk(entropy, backend->rule));
}

DeviceRow make_device_row(std::string_view row, const sched::SchedulerConfig& config) {
  if (!is_device_row(row)) throw_usage_error("'" + std::string(row) + "' is not a device_<row> scheduler row");
  DeviceRow d;
  d.row = std::string(row);
  d.host_row = std::string(row.substr(kPrefix.size()));
  d.host = sched::make_scheduler(d.host_row, config);
  if (d.host_row == "seqlen_table") return d;
  const bool guarded = d.host_row.starts_with("guarded_");
  const Json described = d.host->describe();
  const Json& base = guarded ? described.at("base") : described;
  const auto statistic = d.host->statistic();
  if (base.value("kind", std::string()) != "rule" || !statistic)
    throw_usage_error("scheduler row '" + d.row + "': the backend evaluates only a statistic with the entropy rule "
                      "(hist, sampled_hist_s<k>, token_hist_s<k>, cheap_proxy, variance_proxy, kurtosis_proxy, "
                      "guarded_ of these) or seqlen_table; '" + d.host_row + "' is neither");
  model::BackendChunkRule rule;
  rule.statistic = *statistic;
  rule.rule = rule_of(base);
  if (guarded) {
    rule.guard_fallback = described.at("fallback").get<std::int64_t>();
    rule.guard_min_delta_buckets = described.at("min_delta_buckets").get<int>();
  }
  d.backend = rule;
  return d;
}

model::BackendChunkRule observe_only(model::BackendChunkRule rule, std::int64_t seqlen) {
  rule.guard_fallback = seqlen;
  rule.guard_min_delta_buckets = std::numeric_limits<int>::max();
  return rule;
}

}  // namespace corey::experiments
