#include <optional>
#include <string>

#include "catch.hpp"
#include "core/error.hpp"
#include "stats/measure_config.hpp"

using namespace corey::stats;
using corey::Json;

// Catch v2 and v3 name their substring matcher differently; a plain check works with both.
#define CHECK_CONTAINS(text, part)                       \
  do {                                                   \
    const std::string checked_text = (text);             \
    INFO(checked_text);                                  \
    CHECK(checked_text.find(part) != std::string::npos); \
  } while (false)

namespace {

// Fails with the Error's message, so a test can check the wording.
std::string error_of(const Json& measure, const MeasureConfig::Locator& where = {}) {
  try {
    MeasureConfig::from_json(measure, where);
  } catch (const corey::Error& e) {
    CHECK(e.kind() == corey::ErrorKind::spec);
    return e.what();
  }
  FAIL("no corey::Error for " << measure.dump());
  return {};
}

}  // namespace

TEST_CASE("measure config defaults and a full spec block", "[stats][measure_config]") {
  const MeasureConfig d = MeasureConfig::from_json(Json::object());
  CHECK(d.warmup_runs >= 1);
  CHECK(d.criterion == StopCriterion::ci);
  CHECK(d.confidence == 0.95);
  CHECK(d.samples_min <= d.samples_max);

  // The honest chunk sweep's block (HARNESS.md §2.7); mode and l2_flush belong to the backend.
  const Json measure = Json::parse(R"({
    "mode": ["cold", "batch"],
    "warmup": {"runs": 3, "min_time_s": 0.05},
    "samples": {"min": 20, "max": 5000},
    "stop": {"criterion": "ci", "rel_halfwidth": 0.01, "confidence": 0.95, "min_time_s": 0.5, "timeout_s": 30},
    "l2_flush": true})");
  const MeasureConfig c = MeasureConfig::from_json(measure);
  CHECK(c.warmup_runs == 3);
  CHECK(c.warmup_min_time_s == 0.05);
  CHECK(c.samples_min == 20);
  CHECK(c.samples_max == 5000);
  CHECK(c.rel_halfwidth == 0.01);
  CHECK(c.min_time_s == 0.5);
  CHECK(c.timeout_s == 30.0);

  const MeasureConfig r = MeasureConfig::from_json(
      Json::parse(R"({"samples": {"min": 50.0, "max": 400}, "stop": {"criterion": "rel_stdev", "max_noise": 0.02}})"));
  CHECK(r.samples_min == 50);
  CHECK(r.criterion == StopCriterion::rel_stdev);
  CHECK(r.max_noise == 0.02);
  CHECK(MeasureConfig::from_json(Json::parse(R"({"stop": {"criterion": "sample_count"}})")).criterion ==
        StopCriterion::sample_count);
  CHECK(MeasureConfig::from_json(Json::parse(R"({"stop": {"criterion": "ci_ratio"}})")).criterion ==
        StopCriterion::ci_ratio);
  Json signed_ints = Json::object();
  signed_ints["samples"]["min"] = static_cast<std::int64_t>(12);
  CHECK(MeasureConfig::from_json(signed_ints).samples_min == 12);
}

TEST_CASE("bad measure values are spec errors that name the key", "[stats][measure_config]") {
  CHECK_CONTAINS(error_of(Json::parse(R"({"samples": {"min": 0}})")),
                 "measure.samples.min must be an integer >= 1, got 0");
  CHECK_CONTAINS(error_of(Json::parse(R"({"samples": {"min": -3}})")), "samples.min");
  CHECK_CONTAINS(error_of(Json::parse(R"({"samples": {"min": 100, "max": 10}})")),
                 "measure.samples.max (10) must be >= measure.samples.min (100)");
  CHECK_CONTAINS(error_of(Json::parse(R"({"warmup": {"runs": 2.5}})")),
                 "measure.warmup.runs must be an integer >= 1, got 2.5");
  CHECK_CONTAINS(error_of(Json::parse(R"({"warmup": {"runs": 0}})")), "warmup.runs");
  CHECK_CONTAINS(error_of(Json::parse(R"({"stop": {"criterion": "entropy"}})")),
                 "measure.stop.criterion must be one of ci, ci_ratio, rel_stdev, sample_count, "
                 "got \"entropy\"");
  CHECK_CONTAINS(error_of(Json::parse(R"({"stop": {"rel_halfwidth": -0.1}})")),
                 "measure.stop.rel_halfwidth must be a number > 0");
  CHECK_CONTAINS(error_of(Json::parse(R"({"stop": {"confidence": 1.5}})")),
                 "measure.stop.confidence must be a number in (0, 1), got 1.5");
  CHECK_CONTAINS(error_of(Json::parse(R"({"stop": {"timeout_s": "10s"}})")),
                 "measure.stop.timeout_s must be a number > 0, got \"10s\"");
  CHECK_CONTAINS(error_of(Json::parse(R"({"stop": {"min_time_s": -1}})")), "min_time_s");
  CHECK_CONTAINS(error_of(Json::parse(R"({"stop": {"max_noise": 0}})")), "max_noise");
  CHECK_CONTAINS(error_of(Json::parse(R"({"stop": {"rel_half_width": 0.01}})")),
                 "unknown key measure.stop.rel_half_width");
  CHECK_CONTAINS(error_of(Json::parse(R"({"samples": [20, 100]})")), "measure.samples must be a map");
  CHECK_CONTAINS(error_of(Json::parse("[1]")), "measure must be a map");
}

TEST_CASE("measure errors carry the file position from the locator", "[stats][measure_config]") {
  std::string asked;
  const MeasureConfig::Locator where = [&](const std::string& pointer) -> std::optional<corey::SourcePos> {
    asked = pointer;
    return corey::SourcePos{"t2.yaml", 14, 37};
  };
  const std::string message = error_of(Json::parse(R"({"stop": {"confidence": 0}})"), where);
  CHECK(asked == "/measure/stop/confidence");
  CHECK(message.rfind("t2.yaml:14:37: measure.stop.confidence", 0) == 0);
}
