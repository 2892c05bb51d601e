// The mixed-regime prompt pool against the authors' run (PAPER.md §6.7): golden trace ids, OCR values, the
// prompt-bytes and JSONL-file SHA-256 of seed 1234 / 20 per regime, and the published sizes table.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "bench/regime_pool.hpp"
#include "catch.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"

using namespace corey;
using namespace corey::bench;

namespace {

const std::vector<RegimePrompt>& paper_pool() {
  static const std::vector<RegimePrompt> pool = generate_regime_pool(20, 1234);
  return pool;
}

std::vector<const RegimePrompt*> of_regime(const std::string& regime) {
  std::vector<const RegimePrompt*> out;
  for (const RegimePrompt& r : paper_pool()) {
    if (r.regime == regime) out.push_back(&r);
  }
  return out;
}

std::size_t whitespace_words(const std::string& text) {
  std::size_t n = 0;
  bool in_word = false;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

}  // namespace

TEST_CASE("the paper's pool has 160 records in regime order with zero-padded ids", "[bench][regime_pool]") {
  const auto& pool = paper_pool();
  REQUIRE(pool.size() == 160);
  CHECK(pool[0].id == "short_chat:000");
  CHECK(pool[7].id == "ocr_forms:000");
  CHECK(pool[8].id == "short_chat:001");
  CHECK(pool[159].id == "ocr_forms:019");
  for (std::size_t k = 0; k < pool.size(); ++k) {
    CHECK(pool[k].regime == regime_names()[k % 8]);
    CHECK(pool[k].sample == static_cast<std::int64_t>(k / 8));
  }
  CHECK(pool[0].prompt ==
        "User asks a concise assistant question about project status. Variant 0: summarize the key blocker and next "
        "action in two sentences.");
}

TEST_CASE("golden trace ids and OCR values", "[bench][regime_pool]") {
  const std::string& logs = paper_pool()[3].prompt;
  REQUIRE(paper_pool()[3].regime == "logs_uuid");
  CHECK(logs.find("\n2026-04-30T12:00:00Z service=router shard=0 status=503 trace=1de9ea6670d3da1fc735df5ef7697fb9 "
                  "latency_ms=18\n") != std::string::npos);
  CHECK(logs.find("2026-04-30T12:01:00Z service=router shard=1 status=200 trace=f149f542e935b87017346b4501eaf614 "
                  "latency_ms=25\n") != std::string::npos);
  const std::string& ocr = paper_pool()[7].prompt;
  CHECK(ocr.rfind("Extract missing fields from this OCR-like form dump.\n"
                  "FIELD_000: value=n/a; confidence=0%\n"
                  "FIELD_001: value=n/a; confidence=19%\n"
                  "FIELD_002: value=missing; confidence=38%\n",
                  0) == 0);
}

TEST_CASE("prompt bytes and the JSONL file hash to the authors' digests", "[bench][regime_pool]") {
  CHECK(regime_pool_prompt_sha256(paper_pool()) == kPaperPoolPromptSha256);
  const std::string jsonl = regime_pool_jsonl(paper_pool());
  CHECK(sha256_hex(jsonl) == kPaperPoolJsonlSha256);
  CHECK(std::count(jsonl.begin(), jsonl.end(), '\n') == 160);
}

TEST_CASE("sizes match the published table", "[bench][regime_pool]") {
  struct Row {
    const char* regime;
    std::int64_t min_chars, max_chars;
    double mean_chars, mean_words;
  };
  // PAPER.md §6.7 sizes table.
  const Row rows[] = {{"short_chat", 131, 132, 131.5, 21},          {"long_doc_qa", 6934, 7543, 7238.8, 953},
                      {"code_repo", 6537, 7347, 6942, 519},         {"logs_uuid", 19616, 21677, 20644.2, 1144},
                      {"tables_csv", 8512, 9248, 8882.0, 236.5},    {"repetition_policy", 7325, 7759, 7529.5, 1034.5},
                      {"mixed_zh_en", 5108, 5587, 5347.2, 680},     {"ocr_forms", 7242, 7838, 7510.8, 565.2}};
  for (const Row& row : rows) {
    CAPTURE(row.regime);
    const auto records = of_regime(row.regime);
    REQUIRE(records.size() == 20);
    std::int64_t lo = records[0]->chars, hi = lo;
    double chars = 0, words = 0;
    for (const RegimePrompt* r : records) {
      lo = std::min(lo, r->chars);
      hi = std::max(hi, r->chars);
      chars += static_cast<double>(r->chars);
      words += static_cast<double>(whitespace_words(r->prompt));
    }
    CHECK(lo == row.min_chars);
    CHECK(hi == row.max_chars);
    CHECK(chars / 20 == Approx(row.mean_chars).margin(0.05));
    CHECK(words / 20 == Approx(row.mean_words).margin(0.05));
  }
}

TEST_CASE("the seed decides the bytes", "[bench][regime_pool]") {
  const auto a = generate_regime_pool(2, 7);
  const auto b = generate_regime_pool(2, 7);
  const auto c = generate_regime_pool(2, 8);
  CHECK(regime_pool_jsonl(a) == regime_pool_jsonl(b));
  CHECK(regime_pool_jsonl(a) != regime_pool_jsonl(c));
  // Only logs_uuid and ocr_forms draw random numbers.
  for (std::size_t k = 0; k < a.size(); ++k) {
    const bool random = a[k].regime == "logs_uuid" || a[k].regime == "ocr_forms";
    CHECK((a[k].prompt == c[k].prompt) == !random);
  }
  CHECK_THROWS_AS(generate_regime_pool(0, 1234), Error);
}

TEST_CASE("python_json_string escapes as json.dumps(ensure_ascii=False)", "[bench][regime_pool]") {
  CHECK(python_json_string("a\"b\\c\nd\te") == "\"a\\\"b\\\\c\\nd\\te\"");
  CHECK(python_json_string(std::string("\x01\x1f", 2)) == "\"\\u0001\\u001f\"");
  CHECK(python_json_string("请 é /") == "\"请 é /\"");
}

TEST_CASE("the JSONL reader reads back what was written", "[bench][regime_pool]") {
  const auto& pool = paper_pool();
  const auto back = parse_regime_pool(regime_pool_jsonl(pool), "pool.jsonl");
  REQUIRE(back.size() == pool.size());
  for (std::size_t k = 0; k < pool.size(); ++k) {
    CHECK(back[k].id == pool[k].id);
    CHECK(back[k].regime == pool[k].regime);
    CHECK(back[k].prompt == pool[k].prompt);
    CHECK(back[k].chars == pool[k].chars);
    CHECK(back[k].sample == pool[k].sample);
    CHECK(back[k].line == static_cast<std::int64_t>(k + 1));
  }
  CHECK(regime_pool_prompt_sha256(back) == kPaperPoolPromptSha256);
}

TEST_CASE("a user's pool file: bad records are listed as file:line", "[bench][regime_pool]") {
  const std::string text =
      "{\"id\": \"a:0\", \"regime\": \"a\", \"prompt\": \"hi\"}\n"
      "\n"
      "{\"id\": \"a:1\", \"regime\": \"a\", \"prompt\": \"x\", \"chars\": 3}\n"
      "not json\n"
      "{\"id\": \"a:0\", \"regime\": \"b\", \"prompt\": \"y\"}\n"
      "[1]\n"
      "{\"id\": \"c\", \"regime\": \"a\"}\n"
      "{\"id\": \"d\", \"regime\": \"a\", \"prompt\": \"\xff\"}\n";
  try {
    parse_regime_pool(text, "user.jsonl");
    FAIL("no error");
  } catch (const Error& e) {
    const std::string m = e.message();
    CHECK(e.kind() == ErrorKind::usage);
    CHECK(m.find("6 bad prompt-pool record(s)") != std::string::npos);
    CHECK(m.find("user.jsonl:3: 'chars' is 3 but the prompt has 1 code points") != std::string::npos);
    CHECK(m.find("user.jsonl:4: malformed JSON") != std::string::npos);
    CHECK(m.find("user.jsonl:5: id 'a:0' already used at line 1") != std::string::npos);
    CHECK(m.find("user.jsonl:6: the record is a JSON array") != std::string::npos);
    CHECK(m.find("user.jsonl:7: no 'prompt' field") != std::string::npos);
    CHECK(m.find("user.jsonl:8: invalid UTF-8") != std::string::npos);
  }
  const auto ok = parse_regime_pool("{\"id\": \"x\", \"regime\": \"r\", \"prompt\": \"p\", \"extra\": 1}\r\n"
                                    "{\"id\": \"y\", \"regime\": \"r\", \"prompt\": \"q\"}",
                                    "ok.jsonl");
  REQUIRE(ok.size() == 2);
  CHECK(ok[1].sample == 1);
  CHECK(ok[1].line == 2);
  CHECK_THROWS_AS(parse_regime_pool("\n\n", "empty.jsonl"), Error);
  CHECK_THROWS_AS(load_regime_pool(std::string(COREY_SOURCE_DIR) + "/no/such/pool.jsonl"), Error);
}
