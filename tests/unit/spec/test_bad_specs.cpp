#include <string>

#include "spec_test_support.hpp"

using namespace corey::spec;
using namespace corey::spec::test;

namespace {

struct BadSpec {
  std::string file;
  std::string position;  // "line:column" the message must name (counted by hand in the file)
  std::string message;   // a part of the message the user must see
};

// Loads and expands a bad spec; returns the error it must raise.
corey::Error failure_of(const std::string& file) {
  return error_of([&] { expand(load("bad_specs/" + file)); });
}

}  // namespace

TEST_CASE("every bad spec fails with its position and a clear message", "[spec][errors]") {
  const BadSpec cases[] = {
      {"unknown_key.yaml", "6:3", "unknown key 'sampels' in measure; did you mean 'samples'?"},
      {"unknown_top_key.yaml", "4:1", "unknown top-level key 'parmas'; did you mean 'params'?"},
      {"unknown_param.yaml", "6:3", "unknown parameter 'chnk' for experiment 'kernel-sweep'; did you mean 'chunk'?"},
      {"wrong_type.yaml", "6:11", "measure.warmup.runs: expected integer, found string 'high'"},
      {"wrong_param_type.yaml", "5:12", "params.seq_len: expected integer, found string 'high'"},
      {"bad_choice.yaml", "5:10", "params.dtype: unknown value 'fp61'; did you mean 'fp16'?"},
      {"missing_key.yaml", "1:1", "missing required key 'name'"},
      {"yaml_syntax.yaml", "5:9", "YAML syntax error"},
      {"merge_key.yaml", "7:3", "YAML merge keys (<<) are not supported; use `extends`"},
      {"extends_missing.yaml", "4:5", "extends: cannot find 'no_such_base.yaml'"},
      {"zip_length.yaml", "8:14", "zip 'shape': member 'label' has 2 values but 'd_inner' has 3"},
      {"schema_version.yaml", "2:9", "'corey.spec/2' has major version 2, but this corey reads 'corey.spec/1'"},
      {"duplicate_key.yaml", "6:3", "duplicate key 'seq_len' (first given at line 5)"},
      {"where_syntax.yaml", "8:27", "in expression 'chunk <= seq_len &&': the expression ends where a value is expected"},
      {"bad_generator.yaml", "7:12", "{pow2: ...} takes [a, b]"},
      {"not_finite.yaml", "5:8", "'.nan' is not a finite number"},
      {"bad_name.yaml", "2:8", "name: 'my run' must start with a letter or digit"},
      {"swept_unknown_param.yaml", "7:5", "unknown parameter 'chunck' in sweep.product for experiment 'kernel-sweep'; did you mean 'chunk'?"},
      {"include_row.yaml", "10:25", "zip 'shape' has rows 0..1, so row 2 does not exist"},
      {"empty.yaml", "1:1", "the spec is empty"},
  };
  for (const auto& bad : cases) {
    INFO(bad.file);
    const corey::Error e = failure_of(bad.file);
    INFO(e.what());
    CHECK(e.kind() == corey::ErrorKind::spec);
    CHECK(contains(e.what(), data_path("bad_specs/" + bad.file) + ":" + bad.position + ": "));
    CHECK(contains(e.message(), bad.message));
  }
}

TEST_CASE("an extends cycle names the whole chain at the entry that closes it", "[spec][errors][extends]") {
  const corey::Error e = failure_of("extends_cycle_a.yaml");
  INFO(e.what());
  CHECK(e.kind() == corey::ErrorKind::spec);
  const std::string a = data_path("bad_specs/extends_cycle_a.yaml");
  const std::string b = data_path("bad_specs/extends_cycle_b.yaml");
  CHECK(contains(e.what(), b + ":4:5: "));
  CHECK(contains(e.message(), "extends cycle: " + a + " -> " + b + " -> " + a));
}

TEST_CASE("a spec file that does not exist is an io error", "[spec][errors]") {
  const corey::Error e = failure_of("no_such_spec.yaml");
  CHECK(e.kind() == corey::ErrorKind::io);
  CHECK(contains(e.what(), "no_such_spec.yaml"));
}

TEST_CASE("a where expression naming an unknown parameter fails at expansion with a suggestion",
          "[spec][errors][where]") {
  const Spec spec = load("specs/honest_sweep.yaml", {"sweep.where=[\"chunk <= seq_lenn\"]"});
  const corey::Error e = error_of([&] { expand(spec); });
  CHECK(e.kind() == corey::ErrorKind::spec);
  CHECK(contains(e.message(), "unknown identifier 'seq_lenn'; did you mean 'seq_len'?"));
  CHECK(contains(e.what(), "--set sweep.where="));
}

TEST_CASE("the subcommand and the spec's experiment must agree", "[spec][errors]") {
  const corey::Error e = error_of([&] { load("specs/honest_sweep.yaml", {}, "costmodel"); });
  CHECK(contains(e.what(), data_path("specs/honest_sweep.yaml") + ":3:13: "));
  CHECK(contains(e.message(), "this spec is for experiment 'kernel-sweep' but was run as 'corey costmodel'"));
  const corey::Error missing = error_of([&] { load("specs/minimal.yaml"); });
  CHECK(contains(missing.message(), "missing key 'experiment'"));
}
