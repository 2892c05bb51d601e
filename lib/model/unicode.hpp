#pragma once
#include <string>
#include <string_view>

namespace corey::model {

// UTF-8 <-> code points. Decoding throws corey::Error (usage) naming the byte offset of invalid input
// (overlong forms, surrogates and values above U+10FFFF are invalid, as in Rust strings).
std::u32string utf8_decode(std::string_view text);
std::string utf8_encode(std::u32string_view text);
void append_utf8(std::string& out, char32_t cp);

// The character classes of the GPT-2 pre-tokenizer regex: \p{L}, \p{N} (general categories) and \s (the
// White_Space property, as Oniguruma and Python's `regex` use it).
bool is_letter(char32_t cp);
bool is_number(char32_t cp);
bool is_whitespace(char32_t cp);

// Unicode Normalization Form C (canonical decomposition, canonical ordering, canonical composition).
std::u32string nfc(std::u32string_view text);
// The Unicode version of the tables behind the classes and NFC.
const char* unicode_version();

}  // namespace corey::model
