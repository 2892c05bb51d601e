// The LongBench JSONL loader on the real (dirty) shared files and on a hand-made fixture, against the bad
// lines tools/routed_reference.py finds with Python's json module.
#include <fstream>
#include <string>

#include "bench/longbench.hpp"
#include "bench/longbench_tasks.hpp"
#include "catch.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

using namespace corey;
using namespace corey::bench;

namespace {

Json load_reference() {
  std::ifstream in(std::string(COREY_TEST_DATA_DIR) + "/routed/longbench_defects.json");
  REQUIRE(in);
  return Json::parse(in);
}

std::string path_of(const std::string& key) {
  if (key.rfind("shared/", 0) == 0) return std::string(COREY_SHARED_DIR) + "/" + key.substr(7);
  return std::string(COREY_SOURCE_DIR) + "/" + key;
}

}  // namespace

TEST_CASE("every bad record of the dirty files is found at the right line", "[bench][longbench]") {
  const Json ref = load_reference();
  for (const auto& [key, expected] : ref["files"].items()) {
    const std::string path = path_of(key);
    if (!std::ifstream(path)) {
      WARN("skipped (shared data not present): " << path);
      continue;
    }
    CAPTURE(key);
    const LongBenchFile file = load_longbench_jsonl(path, OnBadRecord::skip);
    CHECK(file.records.size() == expected["good"].get<std::size_t>());
    REQUIRE(file.bad_records.size() == expected["bad"].size());
    for (std::size_t i = 0; i < file.bad_records.size(); ++i) {
      const RecordDefect& d = file.bad_records[i];
      const std::string kind = expected["bad"][i]["kind"].get<std::string>();
      CAPTURE(d.str(), kind);
      CHECK(d.line == expected["bad"][i]["line"].get<std::int64_t>());
      CHECK(d.file == path);
      CHECK(d.str().rfind(path + ":" + std::to_string(d.line) + ": ", 0) == 0);
      if (kind == "json") CHECK(d.reason.find("malformed JSON at byte") != std::string::npos);
      if (kind == "utf8") CHECK(d.reason.find("invalid UTF-8 at byte") != std::string::npos);
      if (kind == "bom") CHECK(d.reason.find("byte-order mark") != std::string::npos);
      if (kind == "not_object") CHECK(d.reason.find("not an object") != std::string::npos);
      if (kind == "no_context") CHECK(d.reason.find("no context") != std::string::npos);
      if (kind == "no_answers") CHECK(d.reason.find("no answers") != std::string::npos);
      if (kind == "empty_answers") CHECK(d.reason.find("empty") != std::string::npos);
    }
    const bool bom = expected["bom_at_start"].get<bool>();
    CHECK(file.notices.size() == (bom ? 1u : 0u));
    if (bom) CHECK(file.notices[0].line == 1);
    // Good records carry their own line numbers, in file order, between the bad ones.
    for (const LongBenchRecord& r : file.records) {
      for (const Json& b : expected["bad"]) CHECK(r.line != b["line"].get<std::int64_t>());
      CHECK_FALSE(r.answers.empty());
    }
  }
}

TEST_CASE("on_bad_record error lists every bad record with file:line", "[bench][longbench]") {
  const std::string path = std::string(COREY_TEST_DATA_DIR) + "/routed/dirty.jsonl";
  try {
    load_longbench_jsonl(path, OnBadRecord::error);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    const std::string what = e.what();
    for (int line : {2, 3, 4, 6, 7, 8, 9, 11}) {
      CAPTURE(line);
      CHECK(what.find(path + ":" + std::to_string(line) + ": ") != std::string::npos);
    }
  }
  CHECK_THROWS_AS(load_longbench_jsonl(path + ".missing", OnBadRecord::skip), Error);
  CHECK(on_bad_record_from_string("skip") == OnBadRecord::skip);
  CHECK_THROWS_AS(on_bad_record_from_string("ignore"), Error);
}

TEST_CASE("field fallbacks and the task templates", "[bench][longbench]") {
  const LongBenchFile file =
      load_longbench_jsonl(std::string(COREY_TEST_DATA_DIR) + "/routed/dirty.jsonl", OnBadRecord::skip);
  REQUIRE(file.records.size() == 3);
  const LongBenchRecord& first = file.records[0];
  CHECK(first.id == "r1");
  CHECK(first.line == 1);
  const LongBenchRecord& fallback = file.records[1];
  CHECK(fallback.line == 10);
  CHECK(fallback.context == "list\ncontext");
  CHECK(fallback.question == "fallback keys");
  CHECK(fallback.answers == std::vector<std::string>{"single answer"});
  const LongBenchRecord& crlf = file.records[2];
  CHECK(crlf.answers == std::vector<std::string>{"Grace Hopper", "Hopper"});

  CHECK(format_longbench_prompt(longbench_task("narrativeqa"), first) ==
        "Context:\nAda Lovelace wrote notes.\n\nQuestion: Who wrote notes?\nAnswer:");
  CHECK(format_longbench_prompt(longbench_task("multifieldqa_en"), first) ==
        "Document:\nAda Lovelace wrote notes.\n\nQuestion: Who wrote notes?\nShort answer:");
  CHECK(format_longbench_prompt(longbench_task("gov_report"), first) ==
        "Report:\nAda Lovelace wrote notes.\n\nWrite a concise summary:\n");
  CHECK(longbench_task("qasper").metric == TaskMetric::token_f1);
  CHECK(longbench_task("gov_report").max_new_tokens == 256);
  CHECK(longbench_task("multifieldqa_en").metric == TaskMetric::exact_match);
  CHECK_THROWS_AS(longbench_task("hotpotqa"), Error);
}
