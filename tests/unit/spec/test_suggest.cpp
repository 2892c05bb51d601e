#include "spec/suggest.hpp"
#include "spec_test_support.hpp"

using namespace corey::spec;

TEST_CASE("edit distance counts typos, a swap of neighbours being one", "[spec][suggest]") {
  CHECK(edit_distance("kitten", "sitting") == 3);  // the textbook Levenshtein example
  CHECK(edit_distance("sampels", "samples") == 1);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("same", "same") == 0);
}

TEST_CASE("suggestions: the closest name, or the list of valid names", "[spec][suggest]") {
  const std::vector<std::string> keys = {"mode", "warmup", "samples", "stop", "l2_flush", "throttle"};
  CHECK(suggestion("sampels", keys) == "; did you mean 'samples'?");
  CHECK(suggestion("Warmup", keys) == "; did you mean 'warmup'?");
  CHECK(suggestion("xyzzy", keys) == "; expected one of: mode, warmup, samples, stop, l2_flush, throttle");
  CHECK(suggestion("x", {}) == "");
}

TEST_CASE("a position nobody recorded falls back to the file", "[spec][positions]") {
  Spec spec;
  spec.path = "specs/some.yaml";
  CHECK(spec.where("/params/chunk").str() == "specs/some.yaml");
  spec.positions["/params"] = corey::SourcePos{"specs/some.yaml", 4, 1};
  CHECK(spec.where("/params/chunk").str() == "specs/some.yaml:4:1");
  CHECK(spec.where_param("rule.h_ref").str() == "specs/some.yaml:4:1");
}
