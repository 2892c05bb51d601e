#include "bench/utf8.hpp"

namespace corey::bench {
namespace {

// Decodes the well-formed sequence at `i`, or returns its defect. `cp` and `length` are set on success.
std::optional<std::string> decode_one(std::string_view s, std::size_t i, char32_t& cp, std::size_t& length) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    length = 1;
    return std::nullopt;
  }
  std::size_t n = 0;
  char32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2, min = 0x80, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3, min = 0x800, cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4, min = 0x10000, cp = b0 & 0x07;
  } else if (b0 == 0xC0 || b0 == 0xC1) {
    return "overlong two-byte lead byte";
  } else if (b0 < 0xC0) {
    return "continuation byte without a lead byte";
  } else {
    return "lead byte above U+10FFFF";
  }
  if (i + n > s.size()) return "truncated sequence at the end of the text";
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return "truncated sequence (byte " + std::to_string(k + 1) + " is not a continuation byte)";
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min) return "overlong encoding";
  if (cp >= 0xD800 && cp <= 0xDFFF) return "encoded surrogate";
  if (cp > 0x10FFFF) return "value above U+10FFFF";
  length = n;
  return std::nullopt;
}

}  // namespace

std::optional<Utf8Defect> find_invalid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    char32_t cp = 0;
    std::size_t length = 0;
    if (auto why = decode_one(text, i, cp, length)) return Utf8Defect{i, *why};
    i += length;
  }
  return std::nullopt;
}

namespace {

// Walks `text` calling valid(cp, i, length) for each well-formed sequence at byte i and invalid() for each
// byte that starts none (which is then skipped alone, as Python's errors="replace" does).
template <typename Valid, typename Invalid>
void walk_lenient(std::string_view text, Valid&& valid, Invalid&& invalid) {
  std::size_t i = 0;
  while (i < text.size()) {
    char32_t cp = 0;
    std::size_t length = 0;
    if (decode_one(text, i, cp, length)) {
      invalid();
      ++i;
    } else {
      valid(cp, i, length);
      i += length;
    }
  }
}

}  // namespace

std::u32string decode_utf8_lenient(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  walk_lenient(
      text, [&](char32_t cp, std::size_t, std::size_t) { out.push_back(cp); }, [&] { out.push_back(U'\uFFFD'); });
  return out;
}

std::string sanitize_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  walk_lenient(
      text, [&](char32_t, std::size_t i, std::size_t length) { out.append(text.substr(i, length)); },
      [&] { out += "\xEF\xBF\xBD"; });
  return out;
}

}  // namespace corey::bench
