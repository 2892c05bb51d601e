#include "bench/longbench_tasks.hpp"

#include "core/error.hpp"

namespace corey::bench {
namespace {

const std::vector<LongBenchTask>& tasks() {
  static const std::vector<LongBenchTask> table = {
      {"narrativeqa", "Context:\n{context}\n\nQuestion: {input}\nAnswer:", TaskMetric::token_f1, 128, true},
      {"qasper", "Document:\n{context}\n\nQuestion: {input}\nAnswer:", TaskMetric::token_f1, 96, true},
      {"multifieldqa_en", "Document:\n{context}\n\nQuestion: {input}\nShort answer:", TaskMetric::exact_match, 64, true},
      {"gov_report", "Report:\n{context}\n\nWrite a concise summary:\n", TaskMetric::rouge_l, 256, false},
  };
  return table;
}

}  // namespace

const LongBenchTask& longbench_task(std::string_view name) {
  for (const LongBenchTask& t : tasks()) {
    if (t.name == name) return t;
  }
  std::string known;
  for (const LongBenchTask& t : tasks()) known += (known.empty() ? "" : ", ") + t.name;
  throw_usage_error("unknown LongBench task '" + std::string(name) + "' (known: " + known + ")");
}

std::vector<std::string> longbench_task_names() {
  std::vector<std::string> names;
  for (const LongBenchTask& t : tasks()) names.push_back(t.name);
  return names;
}

std::string format_longbench_prompt(const LongBenchTask& task, const LongBenchRecord& record) {
  std::string out;
  const std::string& t = task.prompt_template;
  std::size_t i = 0;
  while (i < t.size()) {
    if (t.compare(i, 9, "{context}") == 0) {
      out += record.context;
      i += 9;
    } else if (t.compare(i, 7, "{input}") == 0) {
      out += record.question;
      i += 7;
    } else {
      out.push_back(t[i++]);
    }
  }
  return out;
}

}  // namespace corey::bench
