#include "sched/learned_table.hpp"

#include <fstream>
#include <iterator>

#include "core/error.hpp"

namespace corey::sched {
namespace {

[[noreturn]] void bad(const std::string& source, const std::string& what) {
  throw Error(ErrorKind::usage, source + ": malformed learned table: " + what);
}

std::int64_t positive_chunk(const Json& value, const std::string& source, const std::string& where) {
  if (!value.is_number_integer() || value.get<std::int64_t>() < 1)
    bad(source, where + "chunk must be a positive integer, got " + value.dump());
  return value.get<std::int64_t>();
}

bool within(const std::optional<double>& lo, const std::optional<double>& hi, std::optional<double> value) {
  if (!lo && !hi) return true;
  if (!value) return false;
  return (!lo || *value >= *lo) && (!hi || *value <= *hi);
}

std::optional<double> as_double(const std::optional<std::int64_t>& v) {
  return v ? std::optional<double>(static_cast<double>(*v)) : std::nullopt;
}

}  // namespace

bool TableRule::matches(const Features& f) const {
  return within(min_layer_idx, max_layer_idx, as_double(f.layer_idx)) &&
         within(min_seq_len, max_seq_len, as_double(f.seq_len)) && within(min_entropy, max_entropy, f.entropy);
}

bool TableRule::uses_only_seq_len() const { return !min_layer_idx && !max_layer_idx && !min_entropy && !max_entropy; }

LearnedTable LearnedTable::parse(const Json& json, const std::string& source, std::int64_t fallback_chunk) {
  LearnedTable table;
  table.source_ = source;
  if (!json.is_object()) bad(source, "the top level must be a JSON object");
  for (const auto& [key, value] : json.items()) {
    if (key != "default_chunk" && key != "rules" && key != "name" && key != "description")
      bad(source, "unknown top-level key '" + key + "'");
  }
  table.default_chunk_ =
      json.contains("default_chunk") ? positive_chunk(json["default_chunk"], source, "default_") : fallback_chunk;
  if (!json.contains("rules")) return table;
  if (!json["rules"].is_array()) bad(source, "'rules' must be a list");
  const Json& rules = json["rules"];
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const Json& r = rules[i];
    if (!r.is_object()) continue;  // the authors' code skips non-object entries
    TableRule rule;
    rule.index = i;
    rule.name = "rule_" + std::to_string(i);
    const std::string where = "rule " + std::to_string(i);
    for (const auto& [key, value] : r.items()) {
      const std::string at = where + " ('" + key + "'): ";
      if (key == "name") {
        if (!value.is_string()) bad(source, at + "name must be a string");
        rule.name = value.get<std::string>();
        continue;
      }
      if (key == "chunk") {
        rule.chunk = positive_chunk(value, source, at);
        continue;
      }
      std::optional<double>* bound = nullptr;
      if (key == "min_layer_idx") bound = &rule.min_layer_idx;
      if (key == "max_layer_idx") bound = &rule.max_layer_idx;
      if (key == "min_seq_len") bound = &rule.min_seq_len;
      if (key == "max_seq_len") bound = &rule.max_seq_len;
      if (key == "min_entropy") bound = &rule.min_entropy;
      if (key == "max_entropy") bound = &rule.max_entropy;
      if (bound == nullptr)
        bad(source, where + ": unknown key '" + key +
                        "' (expected name, chunk, min_/max_layer_idx, min_/max_seq_len, min_/max_entropy)");
      if (!value.is_number()) bad(source, at + "bound must be a number, got " + value.dump());
      *bound = value.get<double>();
    }
    table.rules_.push_back(std::move(rule));
  }
  return table;
}

LearnedTable LearnedTable::load(const std::string& path, std::int64_t fallback_chunk) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::io, path + ": cannot open learned table");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const Json json = Json::parse(text, nullptr, false);
  if (json.is_discarded()) bad(path, "not valid JSON");
  return parse(json, path, fallback_chunk);
}

TableDecision LearnedTable::lookup(const Features& features) const {
  for (const TableRule& rule : rules_) {
    if (rule.matches(features)) return {rule.chunk.value_or(default_chunk_), rule.name};
  }
  return {default_chunk_, "default"};
}

bool LearnedTable::uses_only_seq_len() const {
  for (const TableRule& rule : rules_) {
    if (!rule.uses_only_seq_len()) return false;
  }
  return true;
}

}  // namespace corey::sched
