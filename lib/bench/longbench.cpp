#include "bench/longbench.hpp"

#include <fstream>
#include <sstream>

#include "bench/utf8.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

namespace corey::bench {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::size_t kMaxListedInError = 20;

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

// The parser's complaint without its exception prefix or the echo of what it read last.
std::string json_reason(const Json::parse_error& e) {
  std::string what = e.what();
  if (const auto colon = what.find(": "); colon != std::string::npos) what = what.substr(colon + 2);
  if (const auto echo = what.find("; last read"); echo != std::string::npos) what = what.substr(0, echo);
  return "malformed JSON at byte " + std::to_string(e.byte) + " of the line: " + what;
}

// Builds the record of one line, or returns why it is bad.
std::optional<std::string> parse_line(std::string_view line, bool require_question, LongBenchRecord& out) {
  if (line.substr(0, kBom.size()) == kBom) return std::string("byte-order mark inside the file (not at its start)");
  if (const auto defect = find_invalid_utf8(line))
    return "invalid UTF-8 at byte " + std::to_string(defect->offset + 1) + " of the line: " + defect->reason;
  Json json;
  try {
    json = Json::parse(line);
  } catch (const Json::parse_error& e) {
    return json_reason(e);
  }
  if (!json.is_object()) return "the record is a JSON " + std::string(json.type_name()) + ", not an object";

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
  std::size_t start = 0;
  std::int64_t line_no = 0;
  while (start < data.size()) {
    std::size_t end = data.find('\n', start);
    if (end == std::string::npos) end = data.size();
    std::string_view line(data.data() + start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no == 1 && line.substr(0, kBom.size()) == kBom) {
      line.remove_prefix(kBom.size());
      file.notices.push_back({path, 1, "UTF-8 byte-order mark at the start of the file (removed)"});
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    LongBenchRecord record;
    record.file = path;
    record.line = line_no;
    if (auto why = parse_line(line, require_question, record)) {
      file.bad_records.push_back({path, line_no, *why});
    } else {
      file.records.push_back(std::move(record));
    }
  }
  if (policy == OnBadRecord::error && !file.bad_records.empty()) {
    std::string message = std::to_string(file.bad_records.size()) + " bad record(s) (on_bad_record: error; use skip to "
                                                                    "drop them):";
    for (std::size_t i = 0; i < file.bad_records.size() && i < kMaxListedInError; ++i)
      message += "\n  " + file.bad_records[i].str();
    if (file.bad_records.size() > kMaxListedInError)
      message += "\n  ... and " + std::to_string(file.bad_records.size() - kMaxListedInError) + " more";
    throw_usage_error(message);
  }
  return file;
}

}  // namespace corey::bench
