#include "model/unicode.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "model/unicode_tables.hpp"

namespace corey::model {
namespace {

namespace ut = unicode_tables;

// Hangul syllables compose and decompose algorithmically (Unicode §3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

bool in_ranges(const ut::Range* ranges, std::size_t count, char32_t cp) {
  const ut::Range* end = ranges + count;
  const ut::Range* it = std::upper_bound(ranges, end, cp, [](char32_t c, const ut::Range& r) { return c < r.first; });
  return it != ranges && cp <= (it - 1)->last;
}

std::uint8_t combining_class(char32_t cp) {
  const ut::ValuedRange* begin = ut::kCombiningClass;
  const ut::ValuedRange* end = begin + ut::kCombiningClassCount;
  const ut::ValuedRange* it =
      std::upper_bound(begin, end, cp, [](char32_t c, const ut::ValuedRange& r) { return c < r.first; });
  return it != begin && cp <= (it - 1)->last ? (it - 1)->value : 0;
}

void decompose(char32_t cp, std::u32string& out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const char32_t s = cp - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
    return;
  }
  const ut::Decomposition* begin = ut::kDecompositions;
  const ut::Decomposition* end = begin + ut::kDecompositionsCount;
  const ut::Decomposition* it =
      std::lower_bound(begin, end, cp, [](const ut::Decomposition& d, char32_t c) { return d.code_point < c; });
  if (it != end && it->code_point == cp) {
    out.append(ut::kDecompositionPool + it->offset, it->length);
  } else {
    out.push_back(cp);
  }
}

// The primary composite of (a, b), or 0.
char32_t compose(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount)
    return a + (b - kTBase);
  const ut::Composition* begin = ut::kCompositions;
  const ut::Composition* end = begin + ut::kCompositionsCount;
  const ut::Composition* it = std::lower_bound(begin, end, std::pair{a, b}, [](const ut::Composition& c, std::pair<char32_t, char32_t> key) {
    return c.first != key.first ? c.first < key.first : c.second < key.second;
  });
  return it != end && it->first == a && it->second == b ? it->composite : 0;
}

}  // namespace

std::u32string utf8_decode(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t i = 0;
  auto bad = [&]() -> void {
    throw Error(ErrorKind::usage, "invalid UTF-8 at byte offset " + std::to_string(i));
  };
  while (i < text.size()) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    int extra = 0;
    char32_t cp = 0, min = 0;
    if (b0 < 0x80) {
      out.push_back(b0);
      ++i;
      continue;
    } else if ((b0 & 0xE0) == 0xC0) {
      extra = 1, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      extra = 2, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      extra = 3, cp = b0 & 0x07, min = 0x10000;
    } else {
      bad();
    }
    if (i + static_cast<std::size_t>(extra) >= text.size()) bad();
    for (int k = 1; k <= extra; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0) != 0x80) bad();
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) bad();
    out.push_back(cp);
    i += static_cast<std::size_t>(extra) + 1;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string utf8_encode(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t cp : text) append_utf8(out, cp);
  return out;
}

bool is_letter(char32_t cp) { return in_ranges(ut::kLetters, ut::kLettersCount, cp); }
bool is_number(char32_t cp) { return in_ranges(ut::kNumbers, ut::kNumbersCount, cp); }

bool is_whitespace(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

std::u32string nfc(std::u32string_view text) {
  std::u32string d;
  d.reserve(text.size());
  for (char32_t cp : text) decompose(cp, d);
  // Canonical ordering: a stable sort of each run of non-starters by combining class.
  for (std::size_t i = 0; i < d.size();) {
    if (combining_class(d[i]) == 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < d.size() && combining_class(d[j]) != 0) ++j;
    std::stable_sort(d.begin() + static_cast<std::ptrdiff_t>(i), d.begin() + static_cast<std::ptrdiff_t>(j),
                     [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
  if (d.empty()) return d;
  // Canonical composition: a character combines with the last starter unless blocked by an intervening
  // character of class 0 or of a class >= its own.
  std::u32string out;
  out.reserve(d.size());
  out.push_back(d[0]);
  std::size_t starter = 0;
  int last_class = combining_class(d[0]) == 0 ? 0 : 256;
  for (std::size_t i = 1; i < d.size(); ++i) {
    const char32_t ch = d[i];
    const int cls = combining_class(ch);
    const char32_t composite = compose(out[starter], ch);
    if (composite != 0 && (last_class < cls || last_class == 0)) {
      out[starter] = composite;
      continue;
    }
    if (cls == 0) starter = out.size();
    last_class = cls;
    out.push_back(ch);
  }
  return out;
}

const char* unicode_version() { return ut::kUnicodeVersion; }

}  // namespace corey::model
