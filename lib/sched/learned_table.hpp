#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/json.hpp"

namespace corey::sched {

// The features one scheduling decision can see (PAPER.md §2.4). A null feature fails every rule that
// constrains it.
struct Features {
  std::optional<std::int64_t> layer_idx;
  std::optional<std::int64_t> seq_len;
  std::optional<double> entropy;  // the scheduler's statistic (nats for every paper row: "entropy_nats")
};

// One rule of a learned table: inclusive bounds on any subset of the features, and the chunk it selects.
struct TableRule {
  std::size_t index = 0;  // position in the JSON "rules" list
  std::string name;       // "rule_<index>" when the JSON gives none
  std::optional<double> min_layer_idx, max_layer_idx;
  std::optional<double> min_seq_len, max_seq_len;
  std::optional<double> min_entropy, max_entropy;
  std::optional<std::int64_t> chunk;  // absent: the table's default chunk

  bool matches(const Features& features) const;
  bool uses_only_seq_len() const;
};

struct TableDecision {
  std::int64_t chunk = 0;
  std::string policy_rule;  // the matching rule's name, or "default"
};

// The paper's learned-table JSON (`--learned-policy-json`):
//   {"default_chunk": 512, "rules": [{"name": ..., "min_seq_len": ..., "max_entropy": ..., "chunk": 128}, ...]}
// First matching rule wins; non-object entries of "rules" are skipped (as the authors' code does); a missing
// default_chunk falls back to `fallback_chunk` (the guard fallback, 512). Stricter than the paper: an
// unknown key, a non-numeric bound or a non-positive chunk is an error naming the file and the rule index.
class LearnedTable {
 public:
  static LearnedTable parse(const Json& json, const std::string& source, std::int64_t fallback_chunk = 512);
  static LearnedTable load(const std::string& path, std::int64_t fallback_chunk = 512);

  TableDecision lookup(const Features& features) const;
  std::int64_t default_chunk() const { return default_chunk_; }
  const std::vector<TableRule>& rules() const { return rules_; }
  const std::string& source() const { return source_; }
  bool uses_only_seq_len() const;

 private:
  std::string source_;
  std::int64_t default_chunk_ = 512;
  std::vector<TableRule> rules_;
};

}  // namespace corey::sched
