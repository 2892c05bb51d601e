#include "bench/task_metrics.hpp"

#include <algorithm>
#include <map>

#include "bench/utf8.hpp"
#include "core/error.hpp"

namespace corey::bench {
namespace {

// A character that survives lower() as something outside [a-z0-9] and is not whitespace: deleted at the
// end, but it still separates whitespace runs and blocks strip() until then.
constexpr char kDeleted = '\x01';

std::vector<std::string> split_tokens(const std::string& normalized) {
  std::vector<std::string> tokens;
  std::size_t start = 0;
  while (start <= normalized.size()) {
    const std::size_t end = std::min(normalized.find(' ', start), normalized.size());
    if (end > start) tokens.push_back(normalized.substr(start, end - start));
    start = end + 1;
  }
  return tokens;
}

double f_measure(std::size_t hits, std::size_t predicted, std::size_t reference) {
  if (hits == 0) return 0.0;
  const double p = static_cast<double>(hits) / static_cast<double>(predicted);
  const double r = static_cast<double>(hits) / static_cast<double>(reference);
  return p + r == 0.0 ? 0.0 : 2.0 * p * r / (p + r);
}

}  // namespace

std::string_view to_string(TaskMetric metric) {
  switch (metric) {
    case TaskMetric::token_f1: return "token_f1";
    case TaskMetric::rouge_l: return "rouge_l";
    case TaskMetric::exact_match: return "exact_match";
  }
  return "?";
}

TaskMetric task_metric_from_string(std::string_view name) {
  if (name == "token_f1") return TaskMetric::token_f1;
  if (name == "rouge_l") return TaskMetric::rouge_l;
  if (name == "exact_match") return TaskMetric::exact_match;
  throw_usage_error("unknown task metric '" + std::string(name) + "' (expected token_f1, rouge_l or exact_match)");
}

bool is_python_space(char32_t cp) {
  if ((cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20)) return true;
  switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

std::string normalize_answer(std::string_view text) {
  // lower(): only the characters whose full lower-case mapping contains [a-z0-9] matter; U+0130's
  // combining dot (U+0307) is deleted later, exactly like every other non-ASCII character.
  std::string lowered;
  lowered.reserve(text.size());
  for (const char32_t cp : decode_utf8_lenient(text)) {
    if (cp >= U'A' && cp <= U'Z') {
      lowered.push_back(static_cast<char>(cp - U'A' + U'a'));
    } else if ((cp >= U'a' && cp <= U'z') || (cp >= U'0' && cp <= U'9')) {
      lowered.push_back(static_cast<char>(cp));
    } else if (cp == 0x130) {
      lowered += {'i', kDeleted};
    } else if (cp == 0x212A) {
      lowered.push_back('k');
    } else if (is_python_space(cp)) {
      lowered.push_back(' ');
    } else {
      lowered.push_back(kDeleted);
    }
  }
  // strip(), then every whitespace run → one space (all whitespace is ' ' by now), then the deletion.
  const std::size_t first = lowered.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  const std::size_t last = lowered.find_last_not_of(' ');
  std::string out;
  bool in_space = false;
  std::string collapsed;
  for (std::size_t i = first; i <= last; ++i) {
    const char c = lowered[i];
    if (c == ' ') {
      if (!in_space) collapsed.push_back(' ');
      in_space = true;
    } else {
      collapsed.push_back(c);
      in_space = false;
    }
  }
  for (const char c : collapsed) {
    if (c != kDeleted) out.push_back(c);
  }
  return out;
}

std::vector<std::string> answer_tokens(std::string_view text) { return split_tokens(normalize_answer(text)); }

double exact_match(std::string_view prediction, std::string_view reference) {
  return normalize_answer(prediction) == normalize_answer(reference) ? 1.0 : 0.0;
}

double token_f1(std::string_view prediction, std::string_view reference) {
  const auto pred = answer_tokens(prediction);
  const auto ref = answer_tokens(reference);
  if (pred.empty() && ref.empty()) return 1.0;
  if (pred.empty() || ref.empty()) return 0.0;
  std::map<std::string, std::size_t> remaining;
  for (const auto& t : ref) ++remaining[t];
  std::size_t overlap = 0;
  for (const auto& t : pred) {
    auto it = remaining.find(t);
    if (it != remaining.end() && it->second > 0) {
      --it->second;
      ++overlap;
    }
  }
  return f_measure(overlap, pred.size(), ref.size());
}

double rouge_l(std::string_view prediction, std::string_view reference) {
  const auto pred = answer_tokens(prediction);
  const auto ref = answer_tokens(reference);
  if (pred.empty() && ref.empty()) return 1.0;
  if (pred.empty() || ref.empty()) return 0.0;
  // One row of the LCS table at a time.
  std::vector<std::size_t> prev(ref.size() + 1, 0), cur(ref.size() + 1, 0);
  for (const auto& p : pred) {
    for (std::size_t j = 1; j <= ref.size(); ++j)
      cur[j] = p == ref[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
    std::swap(prev, cur);
  }
  return f_measure(prev[ref.size()], pred.size(), ref.size());
}

double task_score(TaskMetric metric, std::string_view prediction, std::string_view reference) {
  switch (metric) {
    case TaskMetric::token_f1: return token_f1(prediction, reference);
    case TaskMetric::rouge_l: return rouge_l(prediction, reference);
    case TaskMetric::exact_match: return exact_match(prediction, reference);
  }
  return 0.0;
}

}  // namespace corey::bench
