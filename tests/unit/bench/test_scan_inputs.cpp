#include <cmath>
#include <fstream>
#include <string>

#include "bench/scan_inputs.hpp"
#include "bench/scan_verify.hpp"
#include "catch.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "scan/cpu_scan.hpp"

using namespace corey;
using namespace corey::bench;

TEST_CASE("synthetic activations follow numpy's default_rng draws for every distribution", "[bench]") {
  std::ifstream in(std::string(COREY_TEST_DATA_DIR) + "/scan/source_reference.json");
  REQUIRE(in.good());
  const Json ref = Json::parse(in);
  REQUIRE(ref["cases"].size() == 10);
  for (const Json& c : ref["cases"]) {
    SourceSpec spec;
    spec.workload = workload_from_string(c["workload"].get<std::string>());
    spec.dist = distribution_from_string(c["dist"].get<std::string>());
    spec.seed = c["seed"].get<std::uint64_t>();
    spec.batch = c["shape"][0].get<std::int64_t>();
    spec.dim = c["shape"][1].get<std::int64_t>();
    spec.seqlen = c["shape"][2].get<std::int64_t>();
    spec.dtype = DType::f32;
    ScanInputs inputs(spec);
    const scan::ScanProblem p = inputs.problem();
    CAPTURE(c["dist"].get<std::string>(), c["workload"].get<std::string>());
    for (std::size_t i = 0; i < c["u"].size(); ++i) {
      const double want_u = c["u"][i].get<double>();
      const double want_d = c["delta"][i].get<double>();
      const double got_u = static_cast<const float*>(p.u)[i];
      const double got_d = static_cast<const float*>(p.delta)[i];
      REQUIRE(std::abs(got_u - want_u) <= 1e-6 * std::abs(want_u) + 1e-12);
      REQUIRE(std::abs(got_d - want_d) <= 1e-6 * std::abs(want_d) + 1e-12);
    }
  }
}

TEST_CASE("w1 inputs are time-invariant per channel; mamba inputs are input-dependent", "[bench]") {
  SourceSpec spec;
  spec.workload = Workload::w1;
  spec.dim = 4;
  spec.seqlen = 16;
  spec.dtype = DType::f16;
  ScanInputs w1(spec);
  const scan::ScanProblem p = w1.problem();
  CHECK(p.groups == 4);
  CHECK(p.B_stride.l == 0);
  CHECK(p.a_form == scan::AForm::a);
  CHECK(p.z == nullptr);
  CHECK(p.delta_bias == nullptr);
  CHECK(w1.describe()["bc"] == "time_invariant");
  spec.workload = Workload::mamba370m;
  ScanInputs mamba(spec);
  const scan::ScanProblem q = mamba.problem();
  CHECK(q.groups == 1);
  CHECK(q.B_stride.l == 1);
  CHECK(q.z != nullptr);
  // softplus(delta_bias) is Mamba's δ initialisation range [0.001, 0.1].
  for (std::int64_t d = 0; d < 4; ++d) {
    const double delta = std::log1p(std::exp(static_cast<double>(q.delta_bias[d])));
    CHECK(delta >= 0.001 * 0.999);
    CHECK(delta <= 0.1 * 1.001);
  }
  CHECK_THROWS_AS(distribution_from_string("cauchy"), Error);
  CHECK_THROWS_AS(workload_from_string("w2"), Error);
}

TEST_CASE("activations can come from an .npy file", "[bench]") {
  SourceSpec spec;
  spec.u_file = std::string(COREY_TEST_DATA_DIR) + "/analyze/u_2d.npy";
  spec.dtype = DType::f32;
  ScanInputs inputs(spec);
  CHECK(inputs.batch() == 1);
  CHECK(inputs.dim() == 8);
  CHECK(inputs.seqlen() == 64);
  spec.u_file = std::string(COREY_TEST_DATA_DIR) + "/analyze/nan.npy";
  CHECK_THROWS_AS(ScanInputs(spec), Error);
}

TEST_CASE("verification: exact modes pass, reset is flagged as different", "[bench]") {
  SourceSpec spec;
  spec.dim = 4;
  spec.seqlen = 300;
  spec.dtype = DType::f32;
  ScanInputs inputs(spec);
  scan::CpuScan scan(2);
  scan::ThreadPool pool(2);
  const OracleSlice oracle = oracle_slice(inputs, 3, &pool);
  CHECK(oracle.channels == 3);
  scan::ScanProblem p = inputs.problem();
  scan.run(p, {scan::ChunkMode::single, 0});
  const ScanOutput single = snapshot(inputs);
  const Tolerance tol = oracle_tolerance(DType::f32);
  const VerifyResult self = verify_output(inputs, single, oracle, tol, nullptr, false, false);
  CHECK(self.passed);
  CHECK(self.max_abs_err < 1e-5);
  scan.run(p, {scan::ChunkMode::launch, 7});
  const VerifyResult launch = verify_output(inputs, snapshot(inputs), oracle, tol, &single, true, false);
  CHECK(launch.passed);
  CHECK(launch.bitwise_equal == true);
  scan.run(p, {scan::ChunkMode::reset, 64});
  const VerifyResult reset = verify_output(inputs, snapshot(inputs), oracle, tol, &single, false, true);
  CHECK(reset.passed);
  CHECK(reset.differs_from_exact == true);
  CHECK(reset.max_abs_err > 1e-3);
  // A corrupted output fails.
  ScanOutput broken = single;
  reinterpret_cast<float*>(broken.out.data())[5] += 0.01f;
  const VerifyResult bad = verify_output(inputs, broken, oracle, tol, &single, true, false);
  CHECK_FALSE(bad.passed);
  CHECK(bad.to_json()["passed"] == false);
}
