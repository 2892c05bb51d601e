#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/longbench.hpp"
#include "bench/task_metrics.hpp"

namespace corey::bench {

// A LongBench task of the authors' harness (PAPER.md §7.1): its prompt template, metric and generation
// budget.
struct LongBenchTask {
  std::string name;            // narrativeqa | qasper | multifieldqa_en | gov_report
  std::string prompt_template; // "{context}" and "{input}" are replaced
  TaskMetric metric = TaskMetric::token_f1;
  std::int64_t max_new_tokens = 0;
  bool uses_question = true;
};

// The task of that name. Throws corey::Error (usage) listing the known tasks.
const LongBenchTask& longbench_task(std::string_view name);
std::vector<std::string> longbench_task_names();

// The template with the record's context and question substituted (one pass, so braces inside the
// context are left alone).
std::string format_longbench_prompt(const LongBenchTask& task, const LongBenchRecord& record);

}  // namespace corey::bench
