#pragma once
#include <string>
#include <vector>

#include "core/json.hpp"

namespace corey::results {

// Append-only stream of one JSON object per line. Each append is written, flushed and fsync'ed before it
// returns, so a crash loses at most the point in progress (HARNESS.md §5).
class JsonlWriter {
 public:
  explicit JsonlWriter(const std::string& path);
  ~JsonlWriter();
  JsonlWriter(const JsonlWriter&) = delete;
  JsonlWriter& operator=(const JsonlWriter&) = delete;
  void append(const Json& object);

 private:
  std::string path_;
  int fd_ = -1;
};

struct JsonlContents {
  std::vector<Json> objects;
  bool truncated_tail = false;  // the last line was cut short by a crash and was ignored
};

// Reads a JSONL stream; a missing file is empty. A malformed line other than an unterminated last one is an
// error naming file:line.
JsonlContents read_jsonl(const std::string& path);

}  // namespace corey::results
