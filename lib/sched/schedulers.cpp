#include "sched/schedulers.hpp"

#include <cmath>

#include "core/error.hpp"

namespace corey::sched {

Json Decision::to_json() const {
  Json j = Json::object();
  j["chunk"] = chunk;
  j["raw_chunk"] = raw_chunk;
  j["guarded_fallback"] = guarded_fallback;
  j["policy_rule"] = policy_rule;
  j["entropy"] = entropy ? Json(*entropy) : Json(nullptr);
  return j;
}

namespace {
Json rule_json(const entropy::ChunkRule& rule) {
  return Json{{"h_ref", rule.h_ref},
              {"c_min", rule.c_min},
              {"c_max", rule.c_max},
              {"rounding", std::string(entropy::to_string(rule.rounding))}};
}
Json statistic_json(const entropy::Statistic& s) {
  return Json{{"estimator", std::string(entropy::to_string(s.estimator))},
              {"bins", s.bins},
              {"units", std::string(entropy::to_string(s.units))},
              {"range", std::string(entropy::range_of(s.estimator))},
              {"stride", s.stride}};
}
}  // namespace

StaticScheduler::StaticScheduler(std::int64_t chunk) : chunk_(chunk) {
  if (chunk < 1) throw_usage_error("static scheduler: chunk must be >= 1 (got " + std::to_string(chunk) + ")");
}
std::string StaticScheduler::name() const { return "static_chunk_" + std::to_string(chunk_); }
Decision StaticScheduler::decide(const Features&) { return {chunk_, chunk_, false, "static", std::nullopt}; }
Json StaticScheduler::describe() const { return Json{{"kind", "static"}, {"chunk", chunk_}}; }

RuleScheduler::RuleScheduler(std::string name, entropy::Statistic statistic, entropy::ChunkRule rule)
    : name_(std::move(name)), statistic_(statistic), rule_(rule) {}

Decision RuleScheduler::decide(const Features& features) {
  const double h = features.entropy.value_or(0.0);
  const std::int64_t chunk = entropy::choose_chunk(h, rule_);
  return {chunk, chunk, false, "rule", features.entropy};
}

Json RuleScheduler::describe() const {
  return Json{{"kind", "rule"}, {"statistic", statistic_json(statistic_)}, {"rule", rule_json(rule_)}};
}

NoEntropyScheduler::NoEntropyScheduler(entropy::ChunkRule rule, int bins) : rule_(rule), bins_(bins) {}

Decision NoEntropyScheduler::decide(const Features&) {
  const double h = 0.5 * std::log(static_cast<double>(bins_));
  const std::int64_t chunk = entropy::choose_chunk(h, rule_);
  return {chunk, chunk, false, "no_entropy", std::nullopt};
}

Json NoEntropyScheduler::describe() const {
  return Json{{"kind", "no_entropy"}, {"bins", bins_}, {"rule", rule_json(rule_)}};
}

RandomScheduler::RandomScheduler(std::int64_t seed, std::int64_t c_min, std::int64_t c_max) : seed_(seed), rng_(seed) {
  for (std::int64_t c = 1; c <= c_max && c > 0; c *= 2) {
    if (c >= c_min) candidates_.push_back(c);
  }
  if (candidates_.empty())
    throw_usage_error("random scheduler: no power of two in [" + std::to_string(c_min) + ", " + std::to_string(c_max) +
                      "]");
}

std::string RandomScheduler::name() const { return "random_seed_" + std::to_string(seed_); }

Decision RandomScheduler::decide(const Features&) {
  const std::int64_t chunk = rng_.choice(std::span<const std::int64_t>(candidates_));
  return {chunk, chunk, false, "random", std::nullopt};
}

Json RandomScheduler::describe() const {
  return Json{{"kind", "random"}, {"seed", seed_}, {"candidates", candidates_}};
}

GuardedScheduler::GuardedScheduler(std::unique_ptr<ChunkScheduler> base, std::int64_t fallback, int min_delta_buckets)
    : base_(std::move(base)), fallback_(fallback), min_delta_buckets_(min_delta_buckets) {
  if (fallback < 1) throw_usage_error("guarded scheduler: fallback chunk must be >= 1");
}

Decision GuardedScheduler::decide(const Features& features) {
  Decision d = base_->decide(features);
  d.raw_chunk = d.chunk;
  if (entropy::guard_replaces(d.chunk, fallback_, min_delta_buckets_)) {
    d.chunk = fallback_;
    d.guarded_fallback = true;
  }
  return d;
}

Json GuardedScheduler::describe() const {
  return Json{{"kind", "guarded"},
              {"base", base_->describe()},
              {"fallback", fallback_},
              {"min_delta_buckets", min_delta_buckets_}};
}

TableScheduler::TableScheduler(Kind kind, LearnedTable table, entropy::Statistic statistic)
    : kind_(kind), table_(std::move(table)), statistic_(statistic) {
  if (kind_ == Kind::seqlen && !table_.uses_only_seq_len())
    throw Error(ErrorKind::usage,
                table_.source() + ": a seqlen_table may only constrain seq_len (use learned_table for other features)");
}

std::optional<entropy::Statistic> TableScheduler::statistic() const {
  if (kind_ == Kind::seqlen) return std::nullopt;
  return statistic_;
}

Decision TableScheduler::decide(const Features& features) {
  Features seen = features;
  if (kind_ == Kind::seqlen) seen.entropy.reset();
  const TableDecision t = table_.lookup(seen);
  return {t.chunk, t.chunk, false, t.policy_rule, seen.entropy};
}

Json TableScheduler::describe() const {
  Json j{{"kind", name()}, {"table", table_.source()}, {"default_chunk", table_.default_chunk()}};
  if (kind_ == Kind::learned) j["statistic"] = statistic_json(statistic_);
  return j;
}

}  // namespace corey::sched
