#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"

namespace corey::bench {

// Reading a JSONL file line by line, as the LongBench loader and the prompt-pool loader both do.

// Calls `fn(line_no, line)` for each line of `text` that is not blank (spaces and tabs only), numbered from 1,
// without its '\n' or a trailing '\r'.
void for_each_jsonl_line(std::string_view text, const std::function<void(std::int64_t line_no, std::string_view line)>& fn);

// Parses one line as a JSON object into `out`; returns why it is not one: ill-formed UTF-8 (byte offset in the
// line and why), malformed JSON (byte and the parser's reason) or another JSON type.
std::optional<std::string> parse_jsonl_object(std::string_view line, Json& out);

// "<header>" followed by one "\n  <defect>" line each, the first 20 only, then "... and N more".
std::string defect_list_message(const std::string& header, const std::vector<std::string>& defects);

}  // namespace corey::bench
