#include "model/bpe_tokenizer.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <limits>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "model/unicode.hpp"

namespace corey::model {
namespace {

// GPT-2's bytes_to_unicode(): printable bytes map to themselves, the others to U+0100 onwards in order.
struct ByteMap {
  std::array<char32_t, 256> to_char{};
  std::unordered_map<char32_t, unsigned char> to_byte;
  ByteMap() {
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      to_char[static_cast<std::size_t>(b)] = printable ? static_cast<char32_t>(b) : next++;
      to_byte[to_char[static_cast<std::size_t>(b)]] = static_cast<unsigned char>(b);
    }
  }
};

const ByteMap& byte_map() {
  static const ByteMap map;
  return map;
}

std::uint64_t pair_key(std::int32_t a, std::int32_t b) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
}

[[noreturn]] void unsupported(const std::string& source, const std::string& what) {
  throw Error(ErrorKind::usage, source + ": " + what);
}

std::u32string decode_json_string(const Json& value, const std::string& source, const std::string& where) {
  if (!value.is_string()) unsupported(source, where + " must be a string");
  return utf8_decode(value.get<std::string>());
}

bool flag(const Json& object, const char* key, bool fallback) {
  return object.contains(key) && object[key].is_boolean() ? object[key].get<bool>() : fallback;
}

// `(?!\S)` etc. work on whole code points; `' '` in the regex is U+0020 only.
constexpr char32_t kSpace = U' ';

bool is_other(char32_t c) { return !is_whitespace(c) && !is_letter(c) && !is_number(c); }

// Length of the match of ` ?<class>+` at i (0 when it does not match).
template <class Pred>
std::size_t optional_space_run(std::u32string_view t, std::size_t i, Pred in_class) {
  std::size_t j = i;
  if (t[j] == kSpace && j + 1 < t.size() && in_class(t[j + 1])) ++j;
  if (!in_class(t[j])) return 0;
  while (j < t.size() && in_class(t[j])) ++j;
  return j - i;
}

}  // namespace

std::vector<std::u32string> BpeTokenizer::pre_tokenize(std::u32string_view t) {
  // The GPT-2 pattern 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ as a
  // hand-written matcher: the alternatives are tried in order at each position, like the regex engine does.
  static const std::u32string_view kContractions[] = {U"'s", U"'t", U"'re", U"'ve", U"'m", U"'ll", U"'d"};
  std::vector<std::u32string> pieces;
  std::size_t i = 0;
  while (i < t.size()) {
    std::size_t len = 0;
    for (std::u32string_view c : kContractions) {
      if (t.substr(i, c.size()) == c) {
        len = c.size();
        break;
      }
    }
    if (!len) len = optional_space_run(t, i, is_letter);
    if (!len) len = optional_space_run(t, i, is_number);
    if (!len) len = optional_space_run(t, i, is_other);
    if (!len) {
      std::size_t j = i;
      while (j < t.size() && is_whitespace(t[j])) ++j;
      // \s+(?!\S): give back the last whitespace when a non-space follows; \s+ takes the run otherwise.
      len = j - i;
      if (j < t.size() && len >= 2) --len;
    }
    pieces.emplace_back(t.substr(i, len));
    i += len;
  }
  return pieces;
}

BpeTokenizer::BpeTokenizer(const Json& j, const std::string& source) : source_(source) {
  if (!j.is_object()) unsupported(source, "tokenizer.json is not a JSON object");
  // Normalizer: none or NFC (possibly inside a one-element Sequence).
  if (j.contains("normalizer") && !j["normalizer"].is_null()) {
    const Json* n = &j["normalizer"];
    if (n->value("type", "") == "Sequence" && n->contains("normalizers") && (*n)["normalizers"].size() == 1)
      n = &(*n)["normalizers"][0];
    if (n->value("type", "") != "NFC")
      unsupported(source, "normalizer " + j["normalizer"].dump() + " is not supported (supported: NFC or none)");
    nfc_ = true;
  }
  const Json& pre = j.contains("pre_tokenizer") ? j["pre_tokenizer"] : Json();
  if (!pre.is_object() || pre.value("type", "") != "ByteLevel")
    unsupported(source, "pre_tokenizer " + pre.dump() + " is not supported (supported: ByteLevel)");
  if (!flag(pre, "use_regex", true))
    unsupported(source, "pre_tokenizer ByteLevel with use_regex false is not supported");
  add_prefix_space_ = flag(pre, "add_prefix_space", false);
  // A ByteLevel post-processor only adjusts offsets; others (TemplateProcessing, ...) would add special
  // tokens, which Mamba prompts do not get (KERNELS.md §5.6).
  if (j.contains("post_processor") && !j["post_processor"].is_null() &&
      j["post_processor"].value("type", "") != "ByteLevel")
    unsupported(source, "post_processor " + j["post_processor"].dump() +
                            " is not supported (supported: ByteLevel or none; corey adds no special tokens)");
  if (j.contains("decoder") && !j["decoder"].is_null() && j["decoder"].value("type", "") != "ByteLevel")
    unsupported(source, "decoder " + j["decoder"].dump() + " is not supported (supported: ByteLevel)");

  const Json& model = j.contains("model") ? j["model"] : Json();
  if (!model.is_object() || model.value("type", "BPE") != "BPE")
    unsupported(source, "model type must be BPE");
  if (model.contains("dropout") && !model["dropout"].is_null() &&
      !(model["dropout"].is_number() && model["dropout"].get<double>() == 0.0))
    unsupported(source, "BPE dropout is not supported");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(key) && !model[key].is_null() && !model[key].get<std::string>().empty())
      unsupported(source, std::string("BPE '") + key + "' is not supported");
  }
  if (flag(model, "byte_fallback", false)) unsupported(source, "BPE byte_fallback is not supported");
  ignore_merges_ = flag(model, "ignore_merges", false);
  if (!model.contains("vocab") || !model["vocab"].is_object()) unsupported(source, "model.vocab must be an object");
  std::int32_t max_id = -1;
  for (const auto& [token, id] : model["vocab"].items()) {
    if (!id.is_number_integer() || id.get<std::int64_t>() < 0 || id.get<std::int64_t>() > std::numeric_limits<std::int32_t>::max())
      unsupported(source, "model.vocab['" + token + "'] must be a non-negative integer id");
    vocab_[utf8_decode(token)] = id.get<std::int32_t>();
    max_id = std::max(max_id, id.get<std::int32_t>());
  }
  if (!j.contains("added_tokens") || j["added_tokens"].is_null()) {
  } else if (!j["added_tokens"].is_array()) {
    unsupported(source, "added_tokens must be an array");
  } else {
    for (const Json& a : j["added_tokens"]) {
      AddedToken t;
      if (!a.contains("id") || !a["id"].is_number_integer()) unsupported(source, "added token without an integer id");
      t.id = a["id"].get<std::int32_t>();
      t.content = decode_json_string(a.value("content", Json()), source, "added token content");
      if (t.content.empty()) unsupported(source, "added token " + std::to_string(t.id) + " has empty content");
      t.special = flag(a, "special", false);
      t.normalized = flag(a, "normalized", !t.special);
      t.single_word = flag(a, "single_word", false);
      t.lstrip = flag(a, "lstrip", false);
      t.rstrip = flag(a, "rstrip", false);
      max_id = std::max(max_id, t.id);
      added_.push_back(std::move(t));
    }
  }
  std::stable_sort(added_.begin(), added_.end(),
                   [](const AddedToken& a, const AddedToken& b) { return a.content.size() > b.content.size(); });
  for (std::size_t k = 0; k < added_.size(); ++k) added_by_id_[added_[k].id] = k;
  id_to_token_.assign(static_cast<std::size_t>(max_id + 1), std::u32string());
  for (const auto& [token, id] : vocab_) id_to_token_[static_cast<std::size_t>(id)] = token;
  for (const AddedToken& a : added_) id_to_token_[static_cast<std::size_t>(a.id)] = a.content;

  if (!model.contains("merges") || !model["merges"].is_array()) unsupported(source, "model.merges must be an array");
  std::int32_t rank = 0;
  for (const Json& m : model["merges"]) {
    std::u32string a, b;
    if (m.is_string()) {
      const std::u32string s = utf8_decode(m.get<std::string>());
      const std::size_t space = s.find(U' ');
      if (space == std::u32string::npos || s.find(U' ', space + 1) != std::u32string::npos)
        unsupported(source, "merge " + m.dump() + " is not two tokens separated by one space");
      a = s.substr(0, space);
      b = s.substr(space + 1);
    } else if (m.is_array() && m.size() == 2) {
      a = decode_json_string(m[0], source, "merge");
      b = decode_json_string(m[1], source, "merge");
    } else {
      unsupported(source, "merge " + m.dump() + " is neither \"a b\" nor [a, b]");
    }
    auto ia = vocab_.find(a), ib = vocab_.find(b), im = vocab_.find(a + b);
    if (ia == vocab_.end() || ib == vocab_.end() || im == vocab_.end())
      unsupported(source, "merge " + m.dump() + " uses a token that is not in model.vocab");
    merges_.try_emplace(pair_key(ia->second, ib->second), rank, im->second);
    ++rank;
  }
  for (char32_t c : byte_map().to_char) {
    if (!vocab_.count(std::u32string(1, c)))
      unsupported(source, "model.vocab lacks the byte-level symbol U+" + std::to_string(static_cast<unsigned>(c)) +
                              " (not a byte-level BPE vocabulary)");
  }
}

std::unique_ptr<BpeTokenizer> BpeTokenizer::from_file(const std::string& path) {
  Json j = Json::parse(read_file(path), nullptr, false);
  if (j.is_discarded()) throw Error(ErrorKind::usage, path + ": not valid JSON");
  return std::make_unique<BpeTokenizer>(j, path);
}

std::vector<std::int32_t> BpeTokenizer::encode_word(const std::u32string& word) const {
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = cache_.find(word); it != cache_.end()) return it->second;
  }
  std::vector<std::int32_t> symbols;
  if (auto whole = vocab_.find(word); ignore_merges_ && whole != vocab_.end()) {
    symbols.push_back(whole->second);
  } else {
    symbols.reserve(word.size());
    for (char32_t c : word) symbols.push_back(vocab_.at(std::u32string(1, c)));
    // GPT-2's loop: take the lowest-ranked adjacent pair, merge all its occurrences left to right, repeat.
    while (symbols.size() > 1) {
      std::int32_t best_rank = std::numeric_limits<std::int32_t>::max();
      std::int32_t a = -1, b = -1, merged = -1;
      for (std::size_t k = 0; k + 1 < symbols.size(); ++k) {
        auto it = merges_.find(pair_key(symbols[k], symbols[k + 1]));
        if (it != merges_.end() && it->second.first < best_rank) {
          best_rank = it->second.first;
          a = symbols[k];
          b = symbols[k + 1];
          merged = it->second.second;
        }
      }
      if (merged < 0) break;
      std::vector<std::int32_t> next;
      next.reserve(symbols.size());
      for (std::size_t k = 0; k < symbols.size(); ++k) {
        if (k + 1 < symbols.size() && symbols[k] == a && symbols[k + 1] == b) {
          next.push_back(merged);
          ++k;
        } else {
          next.push_back(symbols[k]);
        }
      }
      symbols.swap(next);
    }
  }
  std::lock_guard lock(cache_mutex_);
  if (cache_.size() > 100000) cache_.clear();
  cache_.emplace(word, symbols);
  return symbols;
}

void BpeTokenizer::encode_plain(std::u32string_view text, std::vector<std::int32_t>& ids) const {
  if (text.empty()) return;
  std::u32string prefixed;
  if (add_prefix_space_ && text.front() != kSpace) {
    prefixed = U" ";
    prefixed.append(text);
    text = prefixed;
  }
  const ByteMap& map = byte_map();
  for (const std::u32string& piece : pre_tokenize(text)) {
    std::u32string word;
    for (char c : utf8_encode(piece)) word.push_back(map.to_char[static_cast<unsigned char>(c)]);
    const std::vector<std::int32_t> w = encode_word(word);
    ids.insert(ids.end(), w.begin(), w.end());
  }
}

// Splits `text` on the added tokens of one pass (raw: normalized == false; normalized: true), leftmost
// longest; the pieces between them go on to the next stage.
void BpeTokenizer::split_added(std::u32string_view text, bool normalized_pass, std::vector<std::int32_t>& ids) const {
  auto next_stage = [&](std::u32string_view piece) {
    if (piece.empty()) return;
    if (!normalized_pass) {
      const std::u32string normalized = nfc_ ? nfc(piece) : std::u32string(piece);
      split_added(normalized, true, ids);
    } else {
      encode_plain(piece, ids);
    }
  };
  auto is_word_char = [](char32_t c) { return is_letter(c) || is_number(c) || c == U'_'; };
  std::size_t start = 0;  // beginning of the not yet emitted text
  std::size_t i = 0;
  while (i < text.size()) {
    const AddedToken* hit = nullptr;
    for (const AddedToken& a : added_) {
      if (a.normalized != normalized_pass || text.substr(i, a.content.size()) != a.content) continue;
      const std::size_t end = i + a.content.size();
      if (a.single_word && ((i > 0 && is_word_char(text[i - 1])) || (end < text.size() && is_word_char(text[end]))))
        continue;
      hit = &a;
      break;
    }
    if (!hit) {
      ++i;
      continue;
    }
    std::size_t match_begin = i, match_end = i + hit->content.size();
    if (hit->lstrip) {
      while (match_begin > start && is_whitespace(text[match_begin - 1])) --match_begin;
    }
    if (hit->rstrip) {
      while (match_end < text.size() && is_whitespace(text[match_end])) ++match_end;
    }
    next_stage(text.substr(start, match_begin - start));
    ids.push_back(hit->id);
    start = i = match_end;
  }
  next_stage(text.substr(start));
}

std::vector<std::int32_t> BpeTokenizer::encode(std::string_view text) const {
  std::vector<std::int32_t> ids;
  split_added(utf8_decode(text), false, ids);
  return ids;
}

std::string BpeTokenizer::decode(std::span<const std::int32_t> ids) const {
  const ByteMap& map = byte_map();
  std::string out;
  for (std::int32_t id : ids) {
    if (id < 0 || static_cast<std::size_t>(id) >= id_to_token_.size())
      throw Error(ErrorKind::usage, source_ + ": token id " + std::to_string(id) + " is outside the vocabulary");
    const std::u32string& token = id_to_token_[static_cast<std::size_t>(id)];
    // The ByteLevel decoder maps each character back to its byte; a token with a character outside the
    // byte alphabet (an added token such as a run of real spaces) stands for its own UTF-8 text.
    std::string bytes;
    bool mapped = true;
    for (char32_t c : token) {
      auto it = map.to_byte.find(c);
      if (it == map.to_byte.end()) {
        mapped = false;
        break;
      }
      bytes.push_back(static_cast<char>(it->second));
    }
    out += mapped ? bytes : utf8_encode(token);
  }
  return out;
}

std::unique_ptr<Tokenizer> load_tokenizer_for(const std::string& checkpoint_dir) {
  const std::filesystem::path path = std::filesystem::path(checkpoint_dir) / "tokenizer.json";
  if (!std::filesystem::exists(path)) return nullptr;
  return BpeTokenizer::from_file(path.string());
}

}  // namespace corey::model
