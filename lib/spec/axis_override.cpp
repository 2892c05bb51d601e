#include "spec/axis_override.hpp"

#include <charconv>
#include <cstdint>
#include <regex>
#include <vector>

#include "core/error.hpp"

namespace corey::spec {

namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = text.find(separator, start);
    std::string part = text.substr(start, at == std::string::npos ? std::string::npos : at - start);
    const auto first = part.find_first_not_of(' ');
    const auto last = part.find_last_not_of(' ');
    parts.push_back(first == std::string::npos ? "" : part.substr(first, last - first + 1));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

bool is_number(const std::string& text) {
  static const std::regex number(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  return std::regex_match(text, number);
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i > 0 ? ", " : "") + parts[i];
  return out;
}

}  // namespace

std::string axis_override(std::string_view argument) {
  const std::string arg(argument);
  const SourcePos origin{"--axis " + arg, 0, 0};
  static const std::regex shape(R"(([A-Za-z_][A-Za-z0-9_.]*)(\[pow2\])?=\[(.*)\])");
  std::smatch match;
  if (!std::regex_match(arg, match, shape)) {
    throw_spec_error("expected name=[v1,v2], name=[a:b:step] or name[pow2]=[a:b]", origin);
  }
  const std::string name = match[1].str();
  const bool pow2 = match[2].matched;
  const std::string inner = match[3].str();
  const std::string prefix = "sweep.product." + name + "=";
  if (inner.find(':') == std::string::npos) {
    if (!pow2) return prefix + "[" + inner + "]";
    std::vector<std::string> values;
    for (const auto& exponent : split(inner, ',')) {
      int k = -1;
      const auto result = std::from_chars(exponent.data(), exponent.data() + exponent.size(), k);
      if (result.ec != std::errc() || result.ptr != exponent.data() + exponent.size() || k < 0 || k > 62) {
        throw_spec_error("pow2 exponents are whole numbers from 0 to 62, found '" + exponent + "'", origin);
      }
      values.push_back(std::to_string(std::int64_t{1} << k));
    }
    return prefix + "[" + join(values) + "]";
  }
  const auto bounds = split(inner, ':');
  if (bounds.size() < 2 || bounds.size() > 3) {
    throw_spec_error("a range is [a:b] or [a:b:step], found [" + inner + "]", origin);
  }
  for (const auto& bound : bounds) {
    if (!is_number(bound)) throw_spec_error("'" + bound + "' in [" + inner + "] is not a number", origin);
  }
  if (!pow2) return prefix + "{range: [" + join(bounds) + "]}";
  for (const auto& bound : bounds) {
    if (bound.find_first_not_of("0123456789") != std::string::npos) {
      throw_spec_error("pow2 exponents are whole numbers from 0 to 62, found '" + bound + "'", origin);
    }
  }
  // Out-of-range text leaves these untouched, and the sentinels then fail the check below.
  int from = 63, to = 63, step = bounds.size() == 3 ? 0 : 1;
  std::from_chars(bounds[0].data(), bounds[0].data() + bounds[0].size(), from);
  std::from_chars(bounds[1].data(), bounds[1].data() + bounds[1].size(), to);
  if (bounds.size() == 3) std::from_chars(bounds[2].data(), bounds[2].data() + bounds[2].size(), step);
  if (from > to || to > 62 || step <= 0) {
    throw_spec_error("pow2 exponents [a:b:step] need 0 <= a <= b <= 62 and step > 0, found [" + inner + "]", origin);
  }
  if (bounds.size() == 2) return prefix + "{pow2: [" + join(bounds) + "]}";
  std::vector<std::string> values;
  for (int k = from; k <= to; k += step) values.push_back(std::to_string(std::int64_t{1} << k));
  return prefix + "[" + join(values) + "]";
}

}  // namespace corey::spec
