#include <cstdio>
#include <filesystem>
#include <fstream>

#include "catch.hpp"
#include "core/error.hpp"
#include "results/jsonl_stream.hpp"
#include "results/record.hpp"

namespace fs = std::filesystem;
using corey::Json;

namespace {
fs::path scratch(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("corey_jsonl_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}
}  // namespace

TEST_CASE("appended records read back in order; a truncated last line is ignored and reported") {
  const auto path = scratch("stream.jsonl").string();
  fs::remove(path);
  {
    corey::results::JsonlWriter writer(path);
    writer.append(Json{{"point_id", "aaa"}, {"n", 1}});
    writer.append(Json{{"point_id", "bbb"}, {"n", 2}});
  }
  {
    std::ofstream crash(path, std::ios::app);
    crash << "{\"point_id\": \"ccc\", \"n\"";  // a crash in the middle of a write
  }
  const auto contents = corey::results::read_jsonl(path);
  REQUIRE(contents.objects.size() == 2);
  CHECK(contents.objects[1]["point_id"] == "bbb");
  CHECK(contents.truncated_tail);
}

TEST_CASE("a malformed line in the middle of a stream is an error naming file:line") {
  const auto path = scratch("bad.jsonl").string();
  {
    std::ofstream out(path);
    out << "{\"a\": 1}\nnot json\n{\"a\": 2}\n";
  }
  try {
    corey::results::read_jsonl(path);
    FAIL("expected an error");
  } catch (const corey::Error& e) {
    CHECK(std::string(e.what()).find(path + ":2:1") != std::string::npos);
  }
}

TEST_CASE("a record survives the JSON round trip with its tier fields in order") {
  corey::results::Record r;
  r.point_id = "a1b2c3d4e5f6";
  r.index = 3;
  r.params = Json{{"chunk", 256}};
  r.status = corey::results::Status::verify_failed;
  r.reason = "max_abs_err 3e-3 > 1e-6";
  r.inherits_flaws = {"F1"};
  r.fields["measure"] = Json{{"n", 30}};
  r.fields["metrics"] = Json{{"x", 1.5}};
  const auto back = corey::results::Record::from_json(r.to_json());
  CHECK(back.to_json() == r.to_json());
  CHECK(back.fields.begin().key() == "measure");
}
