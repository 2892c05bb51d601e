#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corey::bench {

// What to do with a record that cannot be used (HARNESS.md §2.6 `on_bad_record`).
enum class OnBadRecord { error, skip };

std::string_view to_string(OnBadRecord policy);
OnBadRecord on_bad_record_from_string(std::string_view name);  // throws corey::Error (usage)

// One defect of a JSONL file, at a 1-based line.
struct RecordDefect {
  std::string file;
  std::int64_t line = 0;
  std::string reason;

  std::string str() const;  // "file:line: reason"
};

// One usable LongBench record (PAPER.md §7.1 field fallbacks applied).
struct LongBenchRecord {
  std::string file;
  std::int64_t line = 0;
  std::string id;        // `_id` or `id` ("" when absent)
  std::string context;   // `context`, `article`, `document`, `passage`; a list is joined with "\n"
  std::string question;  // `input`, `question`, `query`; "" when absent
  bool has_question = false;
  std::vector<std::string> answers;  // `answers`, `answer`, `targets`, `target`, coerced to strings; non-empty
};

struct LongBenchFile {
  std::string path;
  std::vector<LongBenchRecord> records;   // usable records, file order
  std::vector<RecordDefect> bad_records;  // records dropped (only with OnBadRecord::skip)
  std::vector<RecordDefect> notices;      // repaired defects that lose nothing (a leading byte-order mark)
};

// Reads a LongBench JSONL file line by line. A UTF-8 byte-order mark at the start of the file is removed
// and noted; a record is bad when its line has a byte-order mark elsewhere, ill-formed UTF-8 (byte offset
// and why), malformed JSON (column and the parser's reason), is not an object, or lacks a context or a
// non-empty list of answers (or, with `require_question`, a question). Blank lines are skipped. Every bad
// record of the whole file is found: with OnBadRecord::error they are all listed in one corey::Error
// (usage) as file:line: reason; with skip they are returned in `bad_records`. A file that cannot be read
// is an io error.
LongBenchFile load_longbench_jsonl(const std::string& path, OnBadRecord policy, bool require_question = true);

}  // namespace corey::bench
