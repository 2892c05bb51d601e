#include "bench/longbench.hpp"

#include <fstream>
#include <sstream>

#include "bench/jsonl_lines.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

namespace corey::bench {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

const Json* first_field(const Json& object, std::initializer_list<const char*> keys, std::string& found) {
  for (const char* key : keys) {
    if (object.contains(key) && !object[key].is_null()) {
      found = key;
      return &object[key];
    }
  }
  return nullptr;
}

// A scalar as Python's str() would show it in an answer list.
std::optional<std::string> scalar_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer() || value.is_number_unsigned()) return value.dump();
  if (value.is_number_float()) return value.dump();
  if (value.is_boolean()) return value.get<bool>() ? "True" : "False";
  return std::nullopt;
}

// Builds the record of one line, or returns why it is bad.
std::optional<std::string> parse_line(std::string_view line, bool require_question, LongBenchRecord& out) {
  if (line.substr(0, kBom.size()) == kBom) return std::string("byte-order mark inside the file (not at its start)");
  Json json;
  if (auto why = parse_jsonl_object(line, json)) return why;

  std::string key;
  if (const Json* id = first_field(json, {"_id", "id"}, key)) out.id = scalar_text(*id).value_or("");
  const Json* context = first_field(json, {"context", "article", "document", "passage"}, key);
  if (!context) return std::string("no context field (context, article, document or passage)");
  if (context->is_string()) {
    out.context = context->get<std::string>();
  } else if (context->is_array()) {
    for (std::size_t i = 0; i < context->size(); ++i) {
      if (!(*context)[i].is_string()) return key + "[" + std::to_string(i) + "] is not a string";
      if (i) out.context += "\n";
      out.context += (*context)[i].get<std::string>();
    }
  } else {
    return key + " is a JSON " + std::string(context->type_name()) + ", not a string or a list of strings";
  }
  if (const Json* question = first_field(json, {"input", "question", "query"}, key)) {
    if (!question->is_string()) return key + " is a JSON " + std::string(question->type_name()) + ", not a string";
    out.question = question->get<std::string>();
    out.has_question = true;
  } else if (require_question) {
    return std::string("no question field (input, question or query)");
  }
  const Json* answers = first_field(json, {"answers", "answer", "targets", "target"}, key);
  if (!answers) return std::string("no answers field (answers, answer, targets or target)");
  if (answers->is_array()) {
    for (std::size_t i = 0; i < answers->size(); ++i) {
      const auto text = scalar_text((*answers)[i]);
      if (!text) return key + "[" + std::to_string(i) + "] is a JSON " + (*answers)[i].type_name() + ", not a string";
      out.answers.push_back(*text);
    }
  } else if (const auto text = scalar_text(*answers)) {
    out.answers.push_back(*text);
  } else {
    return key + " is a JSON " + std::string(answers->type_name()) + ", not a string or a list";
  }
  if (out.answers.empty()) return key + " is empty (the first answer is the reference)";
  return std::nullopt;
}

}  // namespace

std::string_view to_string(OnBadRecord policy) { return policy == OnBadRecord::error ? "error" : "skip"; }

OnBadRecord on_bad_record_from_string(std::string_view name) {
  if (name == "error") return OnBadRecord::error;
  if (name == "skip") return OnBadRecord::skip;
  throw_usage_error("unknown on_bad_record '" + std::string(name) + "' (expected error or skip)");
}

std::string RecordDefect::str() const { return file + ":" + std::to_string(line) + ": " + reason; }

LongBenchFile load_longbench_jsonl(const std::string& path, OnBadRecord policy, bool require_question) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_io_error("cannot read LongBench file '" + path + "'");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string data = buffer.str();

  LongBenchFile file;
  file.path = path;
  for_each_jsonl_line(data, [&](std::int64_t line_no, std::string_view line) {
    if (line_no == 1 && line.substr(0, kBom.size()) == kBom) {
      line.remove_prefix(kBom.size());
      file.notices.push_back({path, 1, "UTF-8 byte-order mark at the start of the file (removed)"});
      if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    }
    LongBenchRecord record;
    record.file = path;
    record.line = line_no;
    if (auto why = parse_line(line, require_question, record)) {
      file.bad_records.push_back({path, line_no, *why});
    } else {
      file.records.push_back(std::move(record));
    }
  });
  if (policy == OnBadRecord::error && !file.bad_records.empty()) {
    std::vector<std::string> listed;
    for (const RecordDefect& d : file.bad_records) listed.push_back(d.str());
    throw_usage_error(defect_list_message(
        std::to_string(file.bad_records.size()) + " bad record(s) (on_bad_record: error; use skip to drop them):", listed));
  }
  return file;
}

}  // namespace corey::bench
