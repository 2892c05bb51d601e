#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace corey::bench {

// Where UTF-8 input is broken: the byte offset of the first byte of the first ill-formed sequence and why
// (overlong forms, surrogates, values above U+10FFFF and truncated sequences are ill-formed).
struct Utf8Defect {
  std::size_t offset = 0;
  std::string reason;
};

std::optional<Utf8Defect> find_invalid_utf8(std::string_view text);

// Code points of possibly ill-formed UTF-8; each byte that does not start a well-formed sequence becomes
// U+FFFD (as Python's bytes.decode(errors="replace") does, up to how many U+FFFD a run produces).
std::u32string decode_utf8_lenient(std::string_view text);

// The text with every byte that does not start a well-formed sequence replaced by U+FFFD, so that it can
// go into a JSON string (a byte tokenizer's output may split a character).
std::string sanitize_utf8(std::string_view text);

}  // namespace corey::bench
