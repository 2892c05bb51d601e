// The golden checkpoints of PAPER.md §3.2 (seed 7, L = 1024, repeat 0), checked by the authors against numpy.
#include "catch.hpp"
#include "costmodel/activations.hpp"
#include "costmodel/histogram_entropy.hpp"

using namespace corey::costmodel;

TEST_CASE("first activation draw matches the paper's checkpoints", "[costmodel][rng]") {
  corey::core::NumpyGenerator rng(7);
  REQUIRE(sample_count(1024) == 512);
  REQUIRE(sample_count(65536) == 4096);
  Matrix x(512, 192);
  Matrix w(256, 192);
  draw_activations(rng, 1024, x, w);
  const auto rel = [](double expected) { return Approx(expected).epsilon(5e-14); };
  CHECK(x.row(0)[0] == rel(-0.189111989340318));
  CHECK(x.row(511)[191] == rel(-1.851520086148645));
  CHECK(w.row(0)[0] == rel(-1.1360068034405888));
  CHECK(w.row(255)[191] == rel(-0.9189752359835105));
  CHECK(normalized_entropy(x.view(), 64) == Approx(0.450330486185155).epsilon(1e-14));
}
