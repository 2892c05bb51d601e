#include "bench/jsonl_lines.hpp"

#include "bench/utf8.hpp"

namespace corey::bench {

namespace {

constexpr std::size_t kMaxListedInError = 20;  // a file of bad lines must not make a message of megabytes

}  // namespace

void for_each_jsonl_line(std::string_view text, const std::function<void(std::int64_t line_no, std::string_view line)>& fn) {
  std::size_t start = 0;
  std::int64_t line_no = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    fn(line_no, line);
  }
}

std::optional<std::string> parse_jsonl_object(std::string_view line, Json& out) {
  if (const auto defect = find_invalid_utf8(line))
    return "invalid UTF-8 at byte " + std::to_string(defect->offset + 1) + " of the line: " + defect->reason;
  try {
    out = Json::parse(line);
  } catch (const Json::parse_error& e) {
    // The parser's complaint without its exception prefix or the echo of what it read last.
    std::string what = e.what();
    if (const auto colon = what.find(": "); colon != std::string::npos) what = what.substr(colon + 2);
    if (const auto echo = what.find("; last read"); echo != std::string::npos) what = what.substr(0, echo);
    return "malformed JSON at byte " + std::to_string(e.byte) + " of the line: " + what;
  }
  if (!out.is_object()) return "the record is a JSON " + std::string(out.type_name()) + ", not an object";
  return std::nullopt;
}

std::string defect_list_message(const std::string& header, const std::vector<std::string>& defects) {
  std::string message = header;
  for (std::size_t i = 0; i < defects.size() && i < kMaxListedInError; ++i) message += "\n  " + defects[i];
  if (defects.size() > kMaxListedInError)
    message += "\n  ... and " + std::to_string(defects.size() - kMaxListedInError) + " more";
  return message;
}

}  // namespace corey::bench
