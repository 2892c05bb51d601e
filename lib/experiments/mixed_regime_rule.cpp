#include "experiments/mixed_regime_rule.hpp"

#include <algorithm>
#include <set>

namespace corey::experiments {

std::int64_t SeqLenRule::chunk_for(std::int64_t tokens) const {
  return max_short_tokens && tokens <= *max_short_tokens ? short_chunk : long_chunk;
}

Json SeqLenRule::learned_table(const std::string& description) const {
  Json rules = Json::array();
  if (max_short_tokens)
    rules.push_back(Json{{"name", "short_prompts"}, {"max_seq_len", *max_short_tokens}, {"chunk", short_chunk}});
  return Json{{"name", "mixed_regime_seq_len_rule"}, {"description", description}, {"default_chunk", long_chunk}, {"rules", rules}};
}

std::string SeqLenRule::str() const {
  if (!max_short_tokens) return "static " + std::to_string(long_chunk);
  return "seq_len <= " + std::to_string(*max_short_tokens) + " -> " + std::to_string(short_chunk) + ", else " +
         std::to_string(long_chunk);
}

std::size_t chunk_index(const std::vector<std::int64_t>& chunks, std::int64_t chunk) {
  const auto it = std::find(chunks.begin(), chunks.end(), chunk);
  if (it == chunks.end()) throw_usage_error("chunk " + std::to_string(chunk) + " was not measured");
  return static_cast<std::size_t>(it - chunks.begin());
}

RuleFit fit_seq_len_rule(const std::vector<RulePrompt>& fit, const std::vector<std::int64_t>& chunks,
                         const RegimeWeights& weights) {
  if (chunks.empty()) throw_usage_error("fitting a sequence-length rule needs at least one chunk");
  if (fit.empty()) throw_usage_error("fitting a sequence-length rule needs at least one prompt");
  for (const RulePrompt& p : fit) {
    if (p.latency_s.size() != chunks.size())
      throw_usage_error("prompt of regime " + p.regime + " has " + std::to_string(p.latency_s.size()) +
                        " latencies for " + std::to_string(chunks.size()) + " chunks");
  }
  auto latency_of = [&](const SeqLenRule& rule) {
    return weighted_latency(fit, weights, [&](const RulePrompt& p) { return chunk_index(chunks, rule.chunk_for(p.tokens)); });
  };
  RuleFit out;
  bool have = false;
  for (const std::int64_t c : chunks) {
    SeqLenRule rule;
    rule.short_chunk = rule.long_chunk = c;
    const double t = latency_of(rule);
    ++out.candidates;
    if (!have || t < out.fit_latency_s) {
      out.rule = rule;
      out.fit_latency_s = t;
      have = true;
    }
  }
  out.best_static_chunk = out.rule.long_chunk;
  out.best_static_latency_s = out.fit_latency_s;

  std::set<std::int64_t> lengths;
  for (const RulePrompt& p : fit) lengths.insert(p.tokens);
  const std::vector<std::int64_t> sorted(lengths.begin(), lengths.end());
  for (std::size_t k = 0; k + 1 < sorted.size(); ++k) {
    const std::int64_t threshold = sorted[k] + (sorted[k + 1] - sorted[k]) / 2;
    for (const std::int64_t short_chunk : chunks) {
      for (const std::int64_t long_chunk : chunks) {
        if (short_chunk == long_chunk) continue;
        const SeqLenRule rule{threshold, short_chunk, long_chunk};
        const double t = latency_of(rule);
        ++out.candidates;
        if (t < out.fit_latency_s) {
          out.rule = rule;
          out.fit_latency_s = t;
        }
      }
    }
  }
  return out;
}

}  // namespace corey::experiments
