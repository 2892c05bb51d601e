#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace corey::bench {

// The LongBench answer metrics of the authors' harness (PAPER.md §7.1); the reference is one string (the
// task's first answer).
enum class TaskMetric { token_f1, rouge_l, exact_match };

std::string_view to_string(TaskMetric metric);
TaskMetric task_metric_from_string(std::string_view name);  // throws corey::Error (usage)

// normalize(s) of PAPER.md §7.1: Python's full Unicode lower() (only U+0130 → "i̇" and U+212A → "k" reach
// [a-z0-9] besides A–Z), strip(), every run of Python whitespace (str.isspace) → one space, then delete
// every character not in [a-z0-9 ] — after the collapse, so deletions can leave double spaces. Ill-formed
// UTF-8 bytes are treated like U+FFFD (deleted), as Python's decode(errors="replace") text would be.
std::string normalize_answer(std::string_view text);

// normalize(s) split on single spaces, empty strings dropped.
std::vector<std::string> answer_tokens(std::string_view text);

// Python's str.isspace() (Unicode 14: bidi classes WS, B, S and category Zs).
bool is_python_space(char32_t cp);

// 1 when normalize(pred) == normalize(ref), else 0.
double exact_match(std::string_view prediction, std::string_view reference);
// Token F1 with greedy multiset matching; both token lists empty → 1, one empty → 0.
double token_f1(std::string_view prediction, std::string_view reference);
// ROUGE-L F over tokens (LCS by dynamic programming); the same empty rules as token_f1.
double rouge_l(std::string_view prediction, std::string_view reference);

double task_score(TaskMetric metric, std::string_view prediction, std::string_view reference);

}  // namespace corey::bench
