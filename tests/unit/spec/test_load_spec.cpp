#include <cstdlib>
#include <fstream>
#include <sstream>

#include "spec/paths.hpp"
#include "spec_test_support.hpp"

using namespace corey::spec;
using namespace corey::spec::test;
using corey::Json;

namespace {
Json read_json(const std::string& relative) {
  std::ifstream in(data_path(relative));
  REQUIRE(in);
  return Json::parse(in);
}
}  // namespace

TEST_CASE("extends: maps merge recursively, lists and scalars replace", "[spec][extends]") {
  const Spec spec = load("specs/child.yaml");
  CHECK(spec.name == "child");
  CHECK(spec.experiment == "kernel-sweep");  // from base.yaml
  CHECK(spec.params["seq_len"] == 2048);     // child replaces the scalar
  CHECK(spec.params["tau"] == 0.5);          // base value kept
  CHECK(spec.params["rule"]["c_min"] == 64); // nested map merged
  CHECK(spec.params["rule"]["h_ref"] == "lnK");
  CHECK(spec.measure["warmup"]["runs"] == 5);
  CHECK(spec.measure["warmup"]["min_time_s"] == 0.05);
  CHECK(spec.measure["samples"]["max"] == 100);
  CHECK(spec.report == Json::array({"table_c"}));  // the list is replaced, not appended to
  CHECK(spec.devices == Json::array({0, 1}));
  CHECK_FALSE(spec.resolved.contains("extends"));
}

TEST_CASE("extends: positions point into the file each value came from", "[spec][extends][positions]") {
  const Spec spec = load("specs/child.yaml");
  const std::string child = data_path("specs/child.yaml");
  const std::string base = data_path("specs/base.yaml");
  CHECK(spec.where("/measure/warmup/runs").str() == child + ":9:11");
  CHECK(spec.where("/measure/warmup/min_time_s").str() == base + ":9:33");
  CHECK(spec.where("/params/tau").str() == base + ":6:8");
  CHECK(spec.where("/report/0").str() == child + ":10:10");
  // No position of its own: the nearest ancestor's.
  CHECK(spec.where("/params/workload").str() == child + ":4:1");
  CHECK(spec.where_param("seq_len").str() == child + ":5:12");
  CHECK(spec.where_param("rule.c_min").str() == child + ":6:17");
  CHECK(spec.key_positions.at("/params/seq_len").str() == child + ":5:3");
}

TEST_CASE("the resolved document and its hash match an independent computation", "[spec][hash]") {
  const Spec spec = load("specs/child.yaml");
  const Json expected = read_json("specs/child.resolved.json");
  CHECK(spec.resolved == expected);  // ordered: key order as in the files, defaults appended
  const Json reference = read_json("specs/reference_hashes.json");
  CHECK(canonical_json(spec.resolved) == reference["child_resolved"]["canonical"].get<std::string>());
  CHECK(spec.hash() == reference["child_resolved"]["sha256"].get<std::string>());
}

TEST_CASE("param defaults complete the params; number params become floats", "[spec][params]") {
  const Spec spec = load("specs/minimal.yaml", {}, "kernel-sweep");
  CHECK(spec.experiment == "kernel-sweep");
  CHECK(spec.resolved.begin().key() == "schema");
  CHECK(std::next(spec.resolved.begin(), 2).key() == "experiment");  // placed after name
  CHECK(spec.params.size() == fake_kernel_schema().size());
  CHECK(spec.params["seq_len"] == 4096);
  CHECK(spec.params["tau"].is_number_float());
  CHECK(spec.params["tau"] == 1.0);
  CHECK(spec.params["dtype"] == "bf16");
  CHECK(spec.params["rule"]["c_max"] == 512);
  CHECK(spec.where("/experiment").str() == "corey kernel-sweep");
}

TEST_CASE("params of an experiment without a schema are taken as given", "[spec][params]") {
  const Spec spec = load("specs/minimal.yaml", {"params.anything=3"}, "costmodel");
  CHECK(spec.params == Json{{"seq_len", 4096}, {"tau", 1}, {"anything", 3}});
  CHECK_FALSE(spec.param_schema.has_value());
}

TEST_CASE("--set values are YAML, typed by the schema, recorded and hashed", "[spec][set]") {
  const Spec plain = load("specs/honest_sweep.yaml");
  const std::vector<std::string> sets = {"params.tau=0.45", "sweep.product.chunk=[256,512]", "params.label=123",
                                         "measure.samples.min=50"};
  const Spec spec = load("specs/honest_sweep.yaml", sets);
  CHECK(spec.overrides == sets);
  CHECK(spec.params["tau"] == 0.45);
  CHECK(spec.sweep["product"]["chunk"] == Json::array({256, 512}));
  CHECK(spec.params["label"] == "123");  // a string parameter keeps the text
  CHECK(spec.measure["samples"]["min"] == 50);
  CHECK(spec.where("/params/tau").str() == "--set params.tau=0.45");
  CHECK(spec.where("/sweep/product/chunk/1").str() == "--set sweep.product.chunk=[256,512]");
  CHECK(spec.hash() != plain.hash());
  CHECK(expand(spec).points.size() == 2 + 3);  // only chunk 256 fits (seq_len 256), plus the includes
}

TEST_CASE("--set errors name the argument", "[spec][set]") {
  const corey::Error typed = error_of([] { load("specs/honest_sweep.yaml", {"params.seq_len=abc"}); });
  CHECK(typed.kind() == corey::ErrorKind::spec);
  CHECK(std::string(typed.what()) == "--set params.seq_len=abc: params.seq_len: expected integer, found string 'abc'");
  const corey::Error unknown = error_of([] { load("specs/honest_sweep.yaml", {"measure.sampels.min=3"}); });
  CHECK(std::string(unknown.what()) ==
        "--set measure.sampels.min=3: unknown key 'sampels' in measure; did you mean 'samples'?");
  const corey::Error no_equals = error_of([] { load("specs/honest_sweep.yaml", {"params.seq_len"}); });
  CHECK(contains(no_equals.what(), "expected key.path=value"));
  const corey::Error into_scalar = error_of([] { load("specs/honest_sweep.yaml", {"params.d_inner.x=1"}); });
  CHECK(contains(into_scalar.what(), "'params.d_inner' is integer 2048, not a map"));
  const corey::Error syntax = error_of([] { load("specs/honest_sweep.yaml", {"sweep.product.chunk=[1,2"}); });
  CHECK(contains(syntax.what(), "--set sweep.product.chunk=[1,2: YAML syntax error"));
}

TEST_CASE("--set can replace a dotted sweep dimension", "[spec][set]") {
  const Spec spec = load("specs/axes_order_a.yaml", {"sweep.product.rule.h_ref=[5.0]"});
  CHECK(spec.sweep["product"]["rule.h_ref"] == Json::array({5.0}));
  CHECK_FALSE(spec.sweep["product"].contains("rule"));
}

TEST_CASE("interpolation of ${name} and ${env:VAR,default}; runtime variables are left alone", "[spec][interpolate]") {
  ::unsetenv("COREY_SPEC_TEST_LABEL");
  ::unsetenv("COREY_SPEC_TEST_UNSET_VARIABLE");
  const Spec defaults = load("specs/interpolation.yaml");
  CHECK(defaults.params["label"] == "fallback-label");
  CHECK(defaults.params["workload"] == "w1");  // then checked against the choices
  CHECK(defaults.output["dir"] == "runs/interp/${run_id}-${spec_hash}");

  ::setenv("COREY_SPEC_TEST_LABEL", "from-env", 1);
  const Spec from_env = load("specs/interpolation.yaml");
  ::unsetenv("COREY_SPEC_TEST_LABEL");
  CHECK(from_env.params["label"] == "from-env");
  CHECK(from_env.hash() != defaults.hash());

  const std::string dir = from_env.output["dir"].get<std::string>();
  CHECK(interpolate(dir, {{"run_id", "2026-05-03T10:12:44Z-3f9c1a"}, {"spec_hash", "abc"}}) ==
        "runs/interp/2026-05-03T10:12:44Z-3f9c1a-abc");
}

TEST_CASE("interpolate() rejects what it does not know", "[spec][interpolate]") {
  ::unsetenv("COREY_SPEC_TEST_UNSET_VARIABLE");
  CHECK(interpolate("a-${env:COREY_SPEC_TEST_UNSET_VARIABLE,x,y}-b", {}) == "a-x,y-b");
  CHECK(interpolate("no variables", {}) == "no variables");
  const corey::Error unknown = error_of([] { interpolate("${nmae}", {{"name", "n"}}); });
  CHECK(contains(unknown.message(), "unknown interpolation '${nmae}'"));
  const corey::Error no_default = error_of([] { interpolate("${env:COREY_SPEC_TEST_UNSET_VARIABLE}", {}); });
  CHECK(contains(no_default.message(), "COREY_SPEC_TEST_UNSET_VARIABLE is not set"));
  const corey::Error open = error_of([] { interpolate("runs/${name", {{"name", "n"}}); });
  CHECK(contains(open.message(), "unterminated '${'"));
  const corey::Error in_spec =
      error_of([] { load("specs/minimal.yaml", {"output.dir=runs/${nmae}"}, "kernel-sweep"); });
  CHECK(contains(in_spec.what(), "--set output.dir=runs/${nmae}: unknown interpolation '${nmae}'"));
}

TEST_CASE("JSON pointer helpers", "[spec][paths]") {
  CHECK(pointer_join("/sweep/product", "a/b~c") == "/sweep/product/a~1b~0c");
  CHECK(dotted_to_pointer("/params", "rule.h_ref") == "/params/rule/h_ref");
  CHECK(pointer_to_display("/measure/warmup/runs") == "measure.warmup.runs");
  CHECK(pointer_to_display("/report/0") == "report[0]");
}
