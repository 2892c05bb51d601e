#include "sched/scheduler_factory.hpp"

#include <charconv>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "sched/schedulers.hpp"

namespace corey::sched {
namespace {

// The integer after `prefix` in `row`, if row is exactly prefix + digits.
std::optional<std::int64_t> suffix_number(std::string_view row, std::string_view prefix) {
  if (!row.starts_with(prefix) || row.size() == prefix.size()) return std::nullopt;
  const std::string_view digits = row.substr(prefix.size());
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

}  // namespace

std::unique_ptr<ChunkScheduler> make_scheduler(std::string_view row, const SchedulerConfig& config) {
  using entropy::Estimator;
  using entropy::Statistic;
  using entropy::Units;
  const entropy::ChunkRule rule{config.h_ref > 0.0 ? config.h_ref : std::log(static_cast<double>(config.bins)),
                                config.c_min, config.c_max, config.rounding};
  auto rule_row = [&](Estimator estimator, std::int64_t stride) {
    return std::make_unique<RuleScheduler>(std::string(row), Statistic{estimator, config.bins, Units::nats, stride},
                                           rule);
  };
  if (row.starts_with("guarded_")) {
    return std::make_unique<GuardedScheduler>(make_scheduler(row.substr(8), config), config.guard_fallback,
                                              config.guard_min_delta_buckets);
  }
  if (auto q = suffix_number(row, "static_chunk_")) return std::make_unique<StaticScheduler>(*q);
  if (row == "no_entropy_mid") return std::make_unique<NoEntropyScheduler>(rule, config.bins);
  if (auto seed = suffix_number(row, "random_seed_"))
    return std::make_unique<RandomScheduler>(*seed, config.c_min, config.c_max);
  if (row == "hist") return rule_row(Estimator::hist, 1);
  if (auto s = suffix_number(row, "sampled_hist_s"); s && *s >= 1) return rule_row(Estimator::hist, *s);
  if (auto s = suffix_number(row, "token_hist_s"); s && *s >= 1) return rule_row(Estimator::token_hist, *s);
  if (row == "cheap_proxy") return rule_row(Estimator::cheap_proxy, 1);
  if (row == "variance_proxy") return rule_row(Estimator::variance_proxy, 1);
  if (row == "kurtosis_proxy") return rule_row(Estimator::kurtosis_proxy, 1);
  if (row == "learned_table" || row == "seqlen_table") {
    if (!config.table) throw_usage_error("scheduler row '" + std::string(row) + "' needs a learned_table file");
    const auto kind = row == "learned_table" ? TableScheduler::Kind::learned : TableScheduler::Kind::seqlen;
    return std::make_unique<TableScheduler>(kind, *config.table,
                                            Statistic{Estimator::hist, config.bins, Units::nats, config.stride});
  }
  throw_usage_error("unknown scheduler row '" + std::string(row) +
                    "' (expected static_chunk_<Q>, no_entropy_mid, random_seed_<s>, hist, sampled_hist_s<k>, "
                    "token_hist_s<k>, cheap_proxy, variance_proxy, kurtosis_proxy, guarded_<row>, learned_table "
                    "or seqlen_table)");
}

}  // namespace corey::sched
