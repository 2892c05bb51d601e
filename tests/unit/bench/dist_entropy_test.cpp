#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "bench/scan_inputs.hpp"
#include "catch.hpp"
#include "core/half.hpp"
#include "core/json.hpp"
#include "entropy/histogram_entropy.hpp"

using namespace corey;

// The perturbation study (PAPER.md §4.7): the entropy of each `dist` of u on the W1 shape, against numpy's
// draws and estimator (tools/dist_entropy_reference.py).
TEST_CASE("the entropy of every perturbation distribution matches numpy's", "[bench]") {
  std::ifstream in(std::string(COREY_TEST_DATA_DIR) + "/scan/dist_entropy.json");
  REQUIRE(in.good());
  const Json ref = Json::parse(in);
  REQUIRE(ref["cases"].size() == 5);
  for (const Json& c : ref["cases"]) {
    bench::SourceSpec spec;
    spec.workload = bench::Workload::w1_stable;
    spec.dist = bench::distribution_from_string(c["dist"].get<std::string>());
    spec.seed = c["seed"].get<std::uint64_t>();
    spec.batch = c["shape"][0].get<std::int64_t>();
    spec.dim = c["shape"][1].get<std::int64_t>();
    spec.seqlen = c["shape"][2].get<std::int64_t>();
    spec.dtype = DType::f16;
    const bench::ScanInputs inputs(spec);
    std::vector<float> u(static_cast<std::size_t>(spec.batch * spec.dim * spec.seqlen));
    for (std::size_t i = 0; i < u.size(); ++i) u[i] = load_as_f32(inputs.u(), DType::f16, static_cast<std::int64_t>(i));
    CAPTURE(c["dist"].get<std::string>());
    CHECK(entropy::hist_entropy_nats(u, ref["bins"].get<int>()) ==
          Approx(c["entropy_nats"].get<double>()).margin(1e-6));
  }
}
