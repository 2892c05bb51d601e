#include "spec/axis_override.hpp"
#include "spec_test_support.hpp"

using namespace corey::spec;
using namespace corey::spec::test;
using corey::Json;

TEST_CASE("--axis arguments become --set overrides of one sweep dimension", "[spec][axis]") {
  CHECK(axis_override("chunk=[128,256]") == "sweep.product.chunk=[128,256]");
  CHECK(axis_override("chunk=[32:256:32]") == "sweep.product.chunk={range: [32, 256, 32]}");
  CHECK(axis_override("tau=[0.1:0.3]") == "sweep.product.tau={range: [0.1, 0.3]}");
  CHECK(axis_override("chunk[pow2]=[5:12]") == "sweep.product.chunk={pow2: [5, 12]}");
  CHECK(axis_override("chunk[pow2]=[5,7, 9]") == "sweep.product.chunk=[32, 128, 512]");
  CHECK(axis_override("chunk[pow2]=[5:9:2]") == "sweep.product.chunk=[32, 128, 512]");
  CHECK(axis_override("rule.h_ref=[lnK,8.0]") == "sweep.product.rule.h_ref=[lnK,8.0]");

  const corey::Error shape = error_of([] { axis_override("chunk:[1,2]"); });
  CHECK(std::string(shape.what()) ==
        "--axis chunk:[1,2]: expected name=[v1,v2], name=[a:b:step] or name[pow2]=[a:b]");
  CHECK(contains(error_of([] { axis_override("chunk=[1:x]"); }).message(), "'x' in [1:x] is not a number"));
  CHECK(contains(error_of([] { axis_override("chunk[pow2]=[5:70]"); }).message(), "0 <= a <= b <= 62"));
  CHECK(contains(error_of([] { axis_override("chunk[pow2]=[2.5:4]"); }).message(), "found '2.5'"));
}

TEST_CASE("an --axis override expands like the spec's own dimension", "[spec][axis]") {
  const Plan plan = expand(load("specs/honest_sweep.yaml", {axis_override("chunk[pow2]=[5:6]")}));
  // seq_len 64: inkernel 32, 64; launch 64. seq_len 256: the same three. Plus the single-call includes.
  CHECK(plan.points.size() == 3 + 3 + 2);
}
