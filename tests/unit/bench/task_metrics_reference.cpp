// LongBench answer metrics against tools/routed_reference.py (Python's str.lower, re and collections).
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "bench/task_metrics.hpp"
#include "catch.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

using namespace corey;
using namespace corey::bench;

namespace {

Json load_reference() {
  std::ifstream in(std::string(COREY_TEST_DATA_DIR) + "/routed/metrics_reference.json");
  REQUIRE(in);
  return Json::parse(in);
}

std::string from_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string utf8(char32_t cp) {
  std::string out;
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
  return out;
}

}  // namespace

TEST_CASE("metrics on fixed strings match the Python reference", "[bench][metrics]") {
  const Json ref = load_reference();
  REQUIRE(ref["cases"].size() >= 20);
  for (const Json& c : ref["cases"]) {
    const std::string pred = from_hex(c["pred_hex"].get<std::string>());
    const std::string gold = from_hex(c["ref_hex"].get<std::string>());
    CAPTURE(pred, gold);
    CHECK(normalize_answer(pred) == c["normalized_pred"].get<std::string>());
    CHECK(normalize_answer(gold) == c["normalized_ref"].get<std::string>());
    CHECK(exact_match(pred, gold) == c["exact_match"].get<double>());
    CHECK(token_f1(pred, gold) == Approx(c["token_f1"].get<double>()).epsilon(1e-12));
    CHECK(rouge_l(pred, gold) == Approx(c["rouge_l"].get<double>()).epsilon(1e-12));
    CHECK(task_score(TaskMetric::rouge_l, pred, gold) == rouge_l(pred, gold));
  }
}

TEST_CASE("normalize treats every code point as Python's lower/isspace do", "[bench][metrics]") {
  const Json ref = load_reference();
  std::set<char32_t> space;
  for (const Json& cp : ref["whitespace"]) space.insert(cp.get<char32_t>());
  std::map<char32_t, std::string> to_ascii;
  for (const Json& e : ref["lower_to_ascii"]) to_ascii[e["cp"].get<char32_t>()] = e["ascii"].get<std::string>();
  std::size_t mismatches = 0, space_mismatches = 0;
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    if (is_python_space(cp) != (space.count(cp) == 1)) ++space_mismatches;
    std::string expected;
    if (space.count(cp)) {
      expected = "x y";
    } else if (cp < 0x80 && std::isalnum(static_cast<int>(cp))) {
      expected = std::string("x") + static_cast<char>(std::tolower(static_cast<int>(cp))) + "y";
    } else if (to_ascii.count(cp)) {
      expected = "x" + to_ascii[cp] + "y";
    } else {
      expected = "xy";
    }
    if (normalize_answer("x" + utf8(cp) + "y") != expected) ++mismatches;
  }
  CHECK(space_mismatches == 0);
  CHECK(mismatches == 0);
}

TEST_CASE("metric names round-trip and unknown names are usage errors", "[bench][metrics]") {
  for (TaskMetric m : {TaskMetric::token_f1, TaskMetric::rouge_l, TaskMetric::exact_match})
    CHECK(task_metric_from_string(to_string(m)) == m);
  CHECK_THROWS_AS(task_metric_from_string("bleu"), Error);
}
