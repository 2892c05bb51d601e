#include <algorithm>
#include <fstream>
#include <set>

#include "spec/sweep.hpp"
#include "spec_test_support.hpp"

using namespace corey::spec;
using namespace corey::spec::test;
using corey::Json;

namespace {

std::set<std::string> ids_of(const Plan& plan) {
  std::set<std::string> ids;
  for (const auto& point : plan.points) ids.insert(point.id);
  return ids;
}

Json reference() {
  std::ifstream in(data_path("specs/reference_hashes.json"));
  REQUIRE(in);
  return Json::parse(in);
}

}  // namespace

TEST_CASE("product, include, where and dedupe in the documented order", "[spec][expand]") {
  const Spec spec = load("specs/honest_sweep.yaml");
  const Plan plan = expand(spec);
  // 2 seq_len x 2 modes x 4 chunks = 16; where skips 6; of the 3 includes one repeats a product point.
  REQUIRE(plan.points.size() == 12);
  REQUIRE(plan.skipped.size() == 6);
  CHECK(plan.duplicates_removed == 1);
  CHECK(plan.sampled_from == 0);

  const auto& first = plan.points[0].params;
  CHECK(first["seq_len"] == 64);
  CHECK(first["chunk_mode"] == "inkernel");
  CHECK(first["chunk"] == 32);
  CHECK(first["d_inner"] == 2048);           // from params
  CHECK(first["dtype"] == "bf16");           // from the schema's defaults
  CHECK(first.size() == fake_kernel_schema().size());
  CHECK(plan.points[1].params["chunk"] == 64);  // the last dimension varies fastest
  CHECK(plan.points[2].params["chunk_mode"] == "launch");
  CHECK(plan.points[2].params["chunk"] == 64);
  CHECK(plan.points[10].params["chunk_mode"] == "single");
  CHECK(plan.points[10].params["seq_len"] == 64);
  CHECK(plan.points[11].params["seq_len"] == 256);

  std::set<std::string> ids;
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    CHECK(plan.points[i].index == i);
    CHECK(plan.points[i].id == point_id("kernel-sweep", plan.points[i].params));
    CHECK(plan.points[i].id.size() == 12);
    ids.insert(plan.points[i].id);
  }
  CHECK(ids.size() == plan.points.size());

  const std::string too_large = "where: chunk_mode == 'single' || chunk <= seq_len";
  const std::string launch_small = "where: !(chunk_mode == 'launch' && chunk < 64)";
  const auto count = [&](const std::string& reason) {
    return std::count_if(plan.skipped.begin(), plan.skipped.end(),
                         [&](const SkippedPoint& s) { return s.reason == reason; });
  };
  CHECK(count(too_large) == 4);
  CHECK(count(launch_small) == 2);
  for (const auto& skipped : plan.skipped) {
    CHECK(skipped.id == point_id("kernel-sweep", skipped.params));
    CHECK(ids.count(skipped.id) == 0);
  }
  CHECK(plan.skipped[0].params["seq_len"] == 64);
  CHECK(plan.skipped[0].params["chunk"] == 128);
  CHECK(plan.skipped[0].reason == too_large);
}

TEST_CASE("pow2, range and geom generators", "[spec][expand]") {
  const Plan plan = expand(load("specs/generators.yaml"));
  REQUIRE(plan.points.size() == 8 * 3 * 5 * 8);
  std::set<std::int64_t> chunks, seq_lens, d_inners;
  std::set<double> taus;
  for (const auto& point : plan.points) {
    chunks.insert(point.params["chunk"].get<std::int64_t>());
    seq_lens.insert(point.params["seq_len"].get<std::int64_t>());
    d_inners.insert(point.params["d_inner"].get<std::int64_t>());
    taus.insert(point.params["tau"].get<double>());
    CHECK(point.params["tau"].is_number_float());
  }
  CHECK(chunks == std::set<std::int64_t>{32, 64, 128, 256, 512, 1024, 2048, 4096});
  CHECK(seq_lens == std::set<std::int64_t>{1000, 2000, 3000});
  CHECK(d_inners == std::set<std::int64_t>{32, 64, 128, 256, 512, 1024, 2048, 4096});
  // The decimal literals themselves, not accumulated sums (0.1 + 0.2 != 0.3 in binary).
  CHECK(taus == std::set<double>{0.1, 0.2, 0.3, 0.4, 0.5});
  CHECK(plan.points[1].params["d_inner"] == 64);
  CHECK(plan.points[1].params["chunk"] == 32);
  CHECK(plan.points.back().params["chunk"] == 4096);
  CHECK(plan.points.back().params["tau"] == 0.5);

  const corey::SourcePos here{"f", 1, 1};
  CHECK(sweep_values(Json::parse(R"({"range": [10, 0, -5]})"), "x", here) == std::vector<Json>{10, 5, 0});
  CHECK(sweep_values(Json::parse(R"({"range": [1, 3]})"), "x", here) == std::vector<Json>{1, 2, 3});
  CHECK(sweep_values(Json::parse(R"({"geom": [1.0, 100.0, 3]})"), "x", here) == std::vector<Json>{1.0, 10.0, 100.0});
  CHECK(sweep_values(Json::parse(R"({"pow2": [0, 2]})"), "x", here) == std::vector<Json>{1, 2, 4});
  const corey::Error wrong_way = error_of([&] { sweep_values(Json::parse(R"({"range": [1, 5, -1]})"), "x", here); });
  CHECK(contains(wrong_way.message(), "needs a step that goes from a towards b"));
  const corey::Error repeats = error_of([&] { sweep_values(Json::parse(R"({"geom": [1, 4, 8]})"), "x", here); });
  CHECK(contains(repeats.message(), "rounds two values to the integer"));
  const corey::Error scalar = error_of([&] { sweep_values(Json(5), "sweep.product.chunk", here); });
  CHECK(contains(scalar.message(), "found integer 5 (write [5] for a single value)"));
  const corey::Error unknown = error_of([&] { sweep_values(Json::parse(R"({"pow": [1, 2]})"), "x", here); });
  CHECK(contains(unknown.message(), "unknown generator 'pow'; did you mean 'pow2'?"));
}

TEST_CASE("zip dimensions are one axis; include addresses rows by index or member values", "[spec][expand][zip]") {
  const Plan plan = expand(load("specs/zip_include.yaml"));
  REQUIRE(plan.points.size() == 2 * 3 + 2);
  const std::vector<std::pair<std::int64_t, std::string>> rows = {
      {1536, "mamba130m"}, {2048, "mamba370m"}, {5120, "mamba2.8b"}};
  for (std::size_t i = 0; i < 6; ++i) {
    const auto& params = plan.points[i].params;
    CHECK(params["chunk"] == (i < 3 ? 128 : 256));
    CHECK(params["d_inner"] == rows[i % 3].first);
    CHECK(params["label"] == rows[i % 3].second);
    CHECK_FALSE(params.contains("shape"));  // the zip's name is not a parameter
  }
  CHECK(plan.points[6].params["chunk"] == 0);
  CHECK(plan.points[6].params["d_inner"] == 2048);
  CHECK(plan.points[6].params["label"] == "mamba370m");
  CHECK(plan.points[7].params["d_inner"] == 768);
  CHECK(plan.points[7].params["label"] == "tiny");
}

TEST_CASE("point ids do not depend on the order of axes or on the other values of an axis", "[spec][expand][ids]") {
  const Plan a = expand(load("specs/axes_order_a.yaml"));
  const Plan b = expand(load("specs/axes_order_b.yaml"));
  REQUIRE(a.points.size() == 2 * 3 * 2 * 2);
  CHECK(ids_of(a) == ids_of(b));
  CHECK(ids_of(a).size() == a.points.size());
  CHECK(a.points[2].id != b.points[2].id);  // same set, different enumeration order

  const Plan narrower = expand(load("specs/axes_order_a.yaml", {"sweep.product.chunk=[256]"}));
  const auto all = ids_of(a);
  REQUIRE(narrower.points.size() == 8);
  for (const auto& point : narrower.points) CHECK(all.count(point.id) == 1);
  // Swept dotted names land inside the nested parameter, next to its defaults.
  CHECK(a.points[0].params["rule"] == Json{{"h_ref", "lnK"}, {"c_min", 32}, {"c_max", 512}, {"rounding", "round"}});
  CHECK(a.points[2].params["rule"]["h_ref"] == 8.0);
}

TEST_CASE("sample draws a reproducible subset, the same on every platform", "[spec][expand][sample]") {
  const Plan full = expand(load("specs/sampled.yaml", {"sweep.sample.random=0"}));
  REQUIRE(full.points.size() == 100);
  CHECK(full.sampled_from == 0);

  const Json samples = reference()["samples"];
  for (const auto& expected : samples) {
    if (expected["total"] != 100 || expected["count"] != 10) continue;
    const std::string seed = "sweep.sample.seed=" + expected["seed"].dump();
    const Plan plan = expand(load("specs/sampled.yaml", {seed}));
    REQUIRE(plan.points.size() == 10);
    CHECK(plan.sampled_from == 100);
    std::vector<std::int64_t> planned_indices;
    for (std::size_t i = 0; i < plan.points.size(); ++i) {
      const auto& params = plan.points[i].params;
      CHECK(plan.points[i].index == i);
      // sampled.yaml enumerates seq_len 1..10 (outer) x chunk 1..10 (inner).
      planned_indices.push_back((params["seq_len"].get<std::int64_t>() - 1) * 10 + params["chunk"].get<std::int64_t>() - 1);
      CHECK(plan.points[i].id == full.points[static_cast<std::size_t>(planned_indices.back())].id);
    }
    CHECK(Json(planned_indices) == expected["indices"]);
  }
  CHECK(ids_of(expand(load("specs/sampled.yaml"))) == ids_of(expand(load("specs/sampled.yaml"))));
  const Plan everything = expand(load("specs/sampled.yaml", {"sweep.sample.random=500"}));
  CHECK(everything.points.size() == 100);
  CHECK(everything.sampled_from == 0);
  const corey::Error unseeded = error_of([] { load("specs/sampled.yaml", {"sweep.sample={random: 3}"}); });
  CHECK(contains(unseeded.message(), "a random sample needs a seed"));
}

TEST_CASE("a spec without sweep is one point; include alone lists exactly its points", "[spec][expand]") {
  const Spec single = load("specs/minimal.yaml", {}, "kernel-sweep");
  const Plan one = expand(single);
  REQUIRE(one.points.size() == 1);
  CHECK(one.points[0].params == single.params);
  const Plan listed = expand(load("specs/minimal.yaml", {"sweep.include=[{chunk: 1}, {chunk: 2}]"}, "kernel-sweep"));
  REQUIRE(listed.points.size() == 2);
  CHECK(listed.points[1].params["chunk"] == 2);
}

TEST_CASE("a parameter without default must be set or swept", "[spec][expand]") {
  ParamSchema schema = fake_kernel_schema();
  schema.push_back({"needed", ParamType::integer, nullptr, {}, ""});
  const SchemaLookup lookup = [&](std::string_view) -> const ParamSchema* { return &schema; };
  const Spec spec = load_spec(data_path("specs/minimal.yaml"), {}, "kernel-sweep", lookup);
  const corey::Error e = error_of([&] { expand(spec); });
  CHECK(contains(e.message(), "parameter 'needed' of experiment 'kernel-sweep' has no default"));
  const Spec swept = load_spec(data_path("specs/minimal.yaml"), {"sweep.product.needed=[1, 2]"}, "kernel-sweep", lookup);
  CHECK(expand(swept).points.size() == 2);
  const corey::Error typed = error_of([&] {
    load_spec(data_path("specs/minimal.yaml"), {"sweep.product.needed=[1, x]"}, "kernel-sweep", lookup);
  });
  CHECK(std::string(typed.what()) ==
        "--set sweep.product.needed=[1, x]: sweep.product.needed[1]: expected integer, found string 'x'");
}

TEST_CASE("the honest chunk sweep example of HARNESS.md loads and expands", "[spec][expand]") {
  const Spec spec = load("specs/t2_chunk_sweep_honest.yaml");
  CHECK(spec.measure["mode"] == Json::array({"cold", "batch"}));
  CHECK(spec.measure["stop"]["timeout_s"] == 30.0);
  CHECK(spec.output["dir"] == "runs/t2_chunk_sweep_honest/${run_id}");
  const Plan plan = expand(spec);
  // 2 dtypes x 2 seq_lens x 2 modes x 8 chunks (32..4096, all <= seq_len) + 4 single-call cells.
  CHECK(plan.points.size() == 2 * 2 * 2 * 8 + 4);
  CHECK(plan.skipped.empty());
  CHECK(plan.points.back().params["chunk_mode"] == "single");
  CHECK(plan.points.back().params["d_state"] == 16);
}
