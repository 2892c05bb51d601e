#include "spec/document_rules.hpp"

#include <algorithm>

#include "spec/paths.hpp"
#include "spec/suggest.hpp"
#include "spec/value_types.hpp"

namespace corey::spec {

namespace {

using Range = KeyRule::Range;

KeyRule leaf(std::string name, ParamType type, Range range = Range::any) {
  KeyRule rule;
  rule.name = std::move(name);
  rule.type = type;
  rule.range = range;
  return rule;
}

KeyRule choice(std::string name, std::vector<std::string> choices) {
  KeyRule rule = leaf(std::move(name), ParamType::string);
  rule.choices = std::move(choices);
  return rule;
}

KeyRule list_of(std::string name, ParamType item_type, std::vector<std::string> choices = {}) {
  KeyRule rule = leaf(std::move(name), ParamType::list);
  rule.item_type = item_type;
  rule.choices = std::move(choices);
  return rule;
}

KeyRule non_negative_list(std::string name) {
  KeyRule rule = list_of(std::move(name), ParamType::integer);
  rule.range = Range::non_negative;
  return rule;
}

KeyRule section(std::string name, std::vector<KeyRule> children) {
  KeyRule rule = leaf(std::move(name), ParamType::map);
  rule.children = std::move(children);
  return rule;
}

std::vector<KeyRule> make_top_level_rules() {
  KeyRule measure_mode = choice("mode", {"cold", "batch", "graph", "e2e", "cpu"});
  measure_mode.scalar_or_list = true;
  return {
      leaf("schema", ParamType::string),
      leaf("name", ParamType::string),
      choice("experiment", {"costmodel", "kernel-sweep", "routed-ablation", "mixed-regime"}),
      list_of("extends", ParamType::string),
      leaf("params", ParamType::map),
      section("sweep", {leaf("product", ParamType::map), leaf("zip", ParamType::map),
                        list_of("include", ParamType::map), list_of("where", ParamType::string),
                        section("sample", {leaf("random", ParamType::integer, Range::non_negative),
                                           leaf("seed", ParamType::integer, Range::non_negative)})}),
      section("measure",
              {measure_mode,
               section("warmup", {leaf("runs", ParamType::integer, Range::positive),
                                  leaf("min_time_s", ParamType::number, Range::non_negative)}),
               section("samples", {leaf("min", ParamType::integer, Range::positive),
                                   leaf("max", ParamType::integer, Range::positive)}),
               section("stop", {choice("criterion", {"ci", "ci_ratio", "rel_stdev", "sample_count"}),
                                leaf("rel_halfwidth", ParamType::number, Range::positive),
                                leaf("max_noise", ParamType::number, Range::positive),
                                leaf("confidence", ParamType::number, Range::open_unit),
                                leaf("min_time_s", ParamType::number, Range::non_negative),
                                leaf("timeout_s", ParamType::number, Range::positive)}),
               leaf("l2_flush", ParamType::boolean), leaf("l2_persist_reset", ParamType::boolean),
               section("throttle", {leaf("threshold", ParamType::number, Range::open_unit),
                                    leaf("recovery_delay_s", ParamType::number, Range::non_negative)})}),
      section("verify", {choice("reference", {"cpu", "fp64", "self-single"}),
                         leaf("rtol", ParamType::number, Range::non_negative),
                         leaf("atol", ParamType::number, Range::non_negative),
                         choice("every", {"first", "all", "none"}), leaf("bitwise", ParamType::boolean)}),
      section("stats", {choice("center", {"median", "mean"}), leaf("ci_level", ParamType::number, Range::open_unit),
                        leaf("bootstrap_resamples", ParamType::integer, Range::positive),
                        leaf("seed", ParamType::integer, Range::non_negative)}),
      section("order", {choice("mode", {"sequential", "interleaved", "random"}),
                        leaf("seed", ParamType::integer, Range::non_negative),
                        leaf("block", ParamType::integer, Range::positive)}),
      section("output", {leaf("dir", ParamType::string), list_of("formats", ParamType::string, {"json", "csv", "md"}),
                         choice("samples", {"inline", "sidecar", "none"})}),
      leaf("report", ParamType::list),  // entries checked by check_report_entries
      non_negative_list("devices"),
  };
}

void check_range(const Json& value, Range range, const std::string& label, const SourcePos& where) {
  if (range == Range::any || !value.is_number()) return;
  const double x = value.get<double>();
  if (range == Range::non_negative && x < 0) {
    throw_spec_error(label + ": must be >= 0, found " + value.dump(), where);
  }
  if (range == Range::positive && x <= 0) throw_spec_error(label + ": must be > 0, found " + value.dump(), where);
  if (range == Range::open_unit && (x <= 0 || x >= 1)) {
    throw_spec_error(label + ": must be between 0 and 1 (exclusive), found " + value.dump(), where);
  }
}

void check_entry(Json& value, const KeyRule& rule, const std::string& pointer, const PositionIndex& where) {
  const std::string label = pointer_to_display(pointer);
  if (rule.scalar_or_list && value.is_array()) {
    if (value.empty()) throw_spec_error(label + ": the list is empty", where.value(pointer));
    for (std::size_t i = 0; i < value.size(); ++i) {
      const std::string item = pointer_join(pointer, i);
      check_value(value[i], rule.type, rule.choices, pointer_to_display(item), where.value(item));
    }
    return;
  }
  check_value(value, rule.type, rule.type == ParamType::list ? std::vector<std::string>{} : rule.choices, label,
              where.value(pointer));
  check_range(value, rule.range, label, where.value(pointer));
  if (rule.type == ParamType::list) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      const std::string item = pointer_join(pointer, i);
      check_value(value[i], rule.item_type, rule.choices, pointer_to_display(item), where.value(item));
      check_range(value[i], rule.range, pointer_to_display(item), where.value(item));
    }
  }
  if (rule.type == ParamType::map && !rule.children.empty()) {
    check_section(value, rule.children, pointer, label, where);
  }
}

}  // namespace

const std::vector<KeyRule>& top_level_rules() {
  static const std::vector<KeyRule> rules = make_top_level_rules();
  return rules;
}

SourcePos PositionIndex::value(const std::string& pointer) const {
  for (std::string p = pointer;; p = p.substr(0, p.rfind('/'))) {
    if (const auto it = values->find(p); it != values->end()) return it->second;
    if (p.empty()) return fallback;
  }
}

SourcePos PositionIndex::key(const std::string& pointer) const {
  if (const auto it = keys->find(pointer); it != keys->end()) return it->second;
  return value(pointer);
}

void check_section(Json& map, const std::vector<KeyRule>& rules, const std::string& pointer,
                   const std::string& section, const PositionIndex& where) {
  std::vector<std::string> names;
  for (const auto& rule : rules) names.push_back(rule.name);
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string child = pointer_join(pointer, it.key());
    const auto rule = std::find_if(rules.begin(), rules.end(), [&](const KeyRule& r) { return r.name == it.key(); });
    if (rule == rules.end()) {
      const std::string where_text = section.empty() ? "unknown top-level key '" : "unknown key '";
      throw_spec_error(where_text + it.key() + "'" + (section.empty() ? "" : " in " + section) +
                           suggestion(it.key(), names),
                       where.key(child));
    }
    check_entry(it.value(), *rule, child, where);
  }
}

}  // namespace corey::spec
