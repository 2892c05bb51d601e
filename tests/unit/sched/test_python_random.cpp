#include <fstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "core/json.hpp"
#include "sched/python_random.hpp"
#include "sched/schedulers.hpp"

using namespace corey;
using namespace corey::sched;

namespace {
Json reference() {
  std::ifstream in(std::string(COREY_TEST_DATA_DIR) + "/entropy/random_choice_reference.json");
  REQUIRE(in.good());
  return Json::parse(in);
}
}  // namespace

TEST_CASE("MT19937 output equals CPython's random.Random", "[random]") {
  const Json ref = reference();
  CHECK(PythonRandom(0).getrandbits(32) == ref["words"]["getrandbits32"][0].get<std::uint32_t>());
  PythonRandom rng(5489);
  for (const Json& w : ref["words"]["seed_5489_first_words"]) CHECK(rng.genrand_uint32() == w.get<std::uint32_t>());
}

TEST_CASE("choice() sequences equal CPython's for many seeds and lengths", "[random]") {
  const Json ref = reference();
  REQUIRE(ref["runs"].size() >= 40);
  for (const Json& run : ref["runs"]) {
    const auto seed = run["seed"].get<std::int64_t>();
    const auto n = run["n"].get<std::int64_t>();
    CAPTURE(seed, n);
    std::vector<std::int64_t> seq;
    for (std::int64_t i = 0; i < n; ++i) seq.push_back(i);
    PythonRandom rng(seed);
    for (const Json& want : run["choices"])
      REQUIRE(rng.choice(std::span<const std::int64_t>(seq)) == want.get<std::int64_t>());
  }
}

TEST_CASE("random_seed_0 over 128..2048 draws CPython's sequence and re-seeds on reset", "[random]") {
  const Json paper = reference()["paper_candidates"];
  RandomScheduler scheduler(0, 128, 2048);
  CHECK(scheduler.candidates() == std::vector<std::int64_t>{128, 256, 512, 1024, 2048});
  CHECK_FALSE(scheduler.statistic().has_value());
  for (int round = 0; round < 2; ++round) {
    for (const Json& want : paper["choices"]) CHECK(scheduler.decide({}).chunk == want.get<std::int64_t>());
    scheduler.reset();
  }
}
