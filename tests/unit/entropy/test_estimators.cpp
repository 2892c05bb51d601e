#include <cmath>
#include <fstream>
#include <string>

#include "catch.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/npy.hpp"
#include "entropy/cpu_stats.hpp"
#include "entropy/histogram_entropy.hpp"

using namespace corey;
using namespace corey::entropy;

namespace {

Json load_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return Json::parse(in);
}

ActivationView view_of(const core::NpyArray& a) {
  REQUIRE(a.shape.size() == 3);
  return contiguous_view(a.data(), a.dtype, a.shape[0], a.shape[1], a.shape[2]);
}

void check_close(double got, double want) { CHECK(std::abs(got - want) <= 1e-12 + 1e-12 * std::abs(want)); }

}  // namespace

TEST_CASE("estimators equal numpy on the fixture tensors, in nats and bits", "[entropy]") {
  const std::string dir = std::string(COREY_TEST_DATA_DIR) + "/entropy/";
  const Json reference = load_json(dir + "entropy_reference.json");
  CpuStats stats;
  for (const auto& [name, entry] : reference["tensors"].items()) {
    CAPTURE(name);
    const core::NpyArray array = core::read_npy(dir + entry["file"].get<std::string>());
    const ActivationView x = view_of(array);
    const Json& e = entry["estimates"];
    auto est = [&](Estimator estimator, int bins, Units units, std::int64_t stride) {
      return stats.estimate(x, Statistic{estimator, bins, units, stride}, name).value;
    };
    for (int k : {256, 64}) {
      CAPTURE(k);
      const std::string kk = "_k" + std::to_string(k);
      for (std::int64_t s : {1, 8}) {
        const std::string ks = kk + "_s" + std::to_string(s);
        check_close(est(Estimator::hist, k, Units::nats, s), e["hist" + ks + "_nats"].get<double>());
        check_close(est(Estimator::hist, k, Units::bits, s), e["hist" + ks + "_bits"].get<double>());
        check_close(est(Estimator::token_hist, k, Units::nats, s), e["token_hist" + ks + "_nats"].get<double>());
      }
      check_close(est(Estimator::ebits, k, Units::bits, 1), e["ebits" + kk + "_bits"].get<double>());
    }
    check_close(est(Estimator::proto, 64, Units::nats, 1), e["proto_k64_nats"].get<double>());
    check_close(est(Estimator::proto, 64, Units::normalized, 1), e["proto_k64_normalized"].get<double>());
    check_close(est(Estimator::cheap_proxy, 256, Units::nats, 1), e["cheap_proxy_k256_nats"].get<double>());
    check_close(est(Estimator::variance_proxy, 256, Units::nats, 1), e["variance_proxy_k256_nats"].get<double>());
    check_close(est(Estimator::kurtosis_proxy, 256, Units::nats, 1), e["kurtosis_proxy_k256_nats"].get<double>());
  }
}

TEST_CASE("estimator values carry their units and provenance", "[entropy]") {
  const float data[8] = {0.f, 1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f};
  CpuStats stats;
  const ActivationView x = contiguous_view(data, DType::f32, 1, 2, 4);
  const EntropyValue bits = stats.estimate(x, Statistic{Estimator::hist, 8, Units::bits, 1}, "post_conv_u");
  // Eight distinct values in eight bins: a flat histogram, log2(8) bits minus the 1e-10 epsilons.
  CHECK(bits.value == Approx(3.0).epsilon(1e-8));
  const Json j = bits.to_json();
  CHECK(j["units"] == "bits");
  CHECK(j["estimator"] == "hist");
  CHECK(j["bins"] == 8);
  CHECK(j["range"] == "minmax");
  CHECK(j["stride"] == 1);
  CHECK(j["tensor"] == "post_conv_u");
  CHECK(to_string(units_from_string("normalized")) == "normalized");
  CHECK_THROWS_AS(units_from_string("shannons"), Error);
  CHECK_THROWS_AS(estimator_from_string("histo"), Error);
}

TEST_CASE("a non-finite value is an error naming the tensor and index", "[entropy]") {
  float data[6] = {0.f, 1.f, 2.f, 3.f, NAN, 5.f};
  CpuStats stats;
  const ActivationView x = contiguous_view(data, DType::f32, 1, 2, 3);
  try {
    stats.estimate(x, Statistic{}, "u");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("u: non-finite value") != std::string::npos);
    CHECK(std::string(e.what()).find("[0, 1, 1]") != std::string::npos);
  }
}

TEST_CASE("numpy's pairwise summation order", "[entropy]") {
  // 0.1 summed 200 times: numpy.sum(numpy.full(200, 0.1)) prints 20.0 with numpy 1.24, a sequential
  // loop gives 20.000000000000014.
  std::vector<double> v(200, 0.1);
  CHECK(numpy_pairwise_sum(v) == 20.0);
}

TEST_CASE("choose_chunk and choose_chunk_into apply the rule to the estimate", "[entropy]") {
  const core::NpyArray array = core::read_npy(std::string(COREY_TEST_DATA_DIR) + "/entropy/normal_f32.npy");
  const ActivationView x = view_of(array);
  CpuStats stats;
  const Statistic hist{Estimator::hist, 256, Units::nats, 1};
  const ChunkRule legacy{8.0, 32, 512, Rounding::round};
  const ChunkChoice choice = stats.choose_chunk(x, hist, legacy);
  CHECK(choice.entropy.value == stats.estimate(x, hist).value);
  CHECK(choice.chunk == choose_chunk(choice.entropy.value, legacy));
  float h = 0.0f;
  std::int32_t q = 0;
  stats.choose_chunk_into(x, hist, legacy, &h, &q);
  CHECK(q == choice.chunk);
  CHECK(h == static_cast<float>(choice.entropy.value));
}
