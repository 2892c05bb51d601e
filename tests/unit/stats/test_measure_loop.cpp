#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include "catch.hpp"
#include "stats/measure_loop.hpp"
#include "stats/steady_timer.hpp"

using namespace corey::stats;

namespace {

// Wall time advances only when a fake sample "runs".
class FakeClock final : public WallClock {
 public:
  double now_s() override { return now; }
  double now = 1000.0;
};

// A deterministic synthetic sample source: base · (1 + spread · u) with u ∈ [−1, 1) from a 64-bit LCG
// (Knuth's MMIX constants), advancing the fake clock by the sample's duration plus an overhead.
class SyntheticSource {
 public:
  SyntheticSource(FakeClock& clock, double base_s, double spread, double overhead_s = 0.0)
      : clock_(clock), base_s_(base_s), spread_(spread), overhead_s_(overhead_s) {}
  double operator()() {
    state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
    const double u = static_cast<double>(state_ >> 11) * 0x1p-52 - 1.0;
    const double sample = base_s_ * (1.0 + spread_ * u);
    clock_.now += sample + overhead_s_;
    ++calls;
    return sample;
  }
  std::size_t calls = 0;

 private:
  FakeClock& clock_;
  double base_s_;
  double spread_;
  double overhead_s_;
  std::uint64_t state_ = 1;
};

MeasureConfig config_with(StopCriterion criterion) {
  MeasureConfig c;
  c.criterion = criterion;
  c.warmup_runs = 2;
  c.warmup_min_time_s = 0;
  c.samples_min = 20;
  c.samples_max = 10000;
  c.min_time_s = 0;
  c.timeout_s = 1e9;
  return c;
}

}  // namespace

TEST_CASE("ci criterion converges at the first check", "[stats][measure_loop]") {
  FakeClock clock;
  SyntheticSource source(clock, 1e-3, 0.001);
  MeasureLoop loop(config_with(StopCriterion::ci), clock);
  const Measurement m = loop.run(std::ref(source));
  CHECK(m.stop.converged);
  CHECK(m.stop.why == "rel_halfwidth<=0.01");
  CHECK(m.samples_s.size() == 20);  // the first check happens at samples.min
  CHECK(m.warmup_runs == 2);
  CHECK(source.calls == 22);
  const auto j = m.to_json();
  CHECK(j.at("n").get<int>() == 20);
  CHECK(j.at("stop").at("criterion") == "ci");
  CHECK(j.at("stop").at("converged") == true);
  CHECK(j.at("stop").at("why") == "rel_halfwidth<=0.01");
  CHECK(j.at("discarded_throttle").get<int>() == 0);
  CHECK(j.at("wall_s").get<double>() == Approx(22e-3).epsilon(0.01));
}

TEST_CASE("ci criterion is re-tested every 16 samples", "[stats][measure_loop]") {
  FakeClock clock;
  // Uniform ±3 %: the 1 % target needs a few dozen samples, before a noise plateau (≥ 64 estimates) can form.
  SyntheticSource source(clock, 1e-3, 0.03);
  const Measurement m = MeasureLoop(config_with(StopCriterion::ci), clock).run(std::ref(source));
  CHECK(m.stop.converged);
  CHECK(m.stop.why == "rel_halfwidth<=0.01");
  CHECK(m.samples_s.size() > 20);
  CHECK((m.samples_s.size() - 20) % 16 == 0);
}

TEST_CASE("rel_stdev criterion", "[stats][measure_loop]") {
  FakeClock clock;
  SyntheticSource source(clock, 1e-3, 0.002);
  MeasureConfig c = config_with(StopCriterion::rel_stdev);
  c.max_noise = 0.005;
  const Measurement m = MeasureLoop(c, clock).run(std::ref(source));
  CHECK(m.stop.converged);
  CHECK(m.stop.why == "rel_stdev<=0.005");
  CHECK(m.stop.to_json().at("criterion") == "rel_stdev");
}

TEST_CASE("noise plateau stops an unreachable target", "[stats][measure_loop]") {
  FakeClock clock;
  SyntheticSource source(clock, 1e-3, 0.5);
  MeasureConfig c = config_with(StopCriterion::ci);
  c.rel_halfwidth = 1e-6;
  const Measurement m = MeasureLoop(c, clock).run(std::ref(source));
  CHECK_FALSE(m.stop.converged);
  CHECK(m.stop.why == "noise_plateau");
  CHECK(m.samples_s.size() >= StopRule::noise_history_min + 1);
  CHECK(m.samples_s.size() < c.samples_max);
}

TEST_CASE("max_samples ends a run that never converges", "[stats][measure_loop]") {
  FakeClock clock;
  SyntheticSource source(clock, 1e-3, 0.5);
  MeasureConfig c = config_with(StopCriterion::ci);
  c.rel_halfwidth = 1e-6;
  c.samples_max = 50;  // fewer than the 64 noise estimates a plateau needs
  const Measurement m = MeasureLoop(c, clock).run(std::ref(source));
  CHECK_FALSE(m.stop.converged);
  CHECK(m.stop.why == "max_samples");
  CHECK(m.samples_s.size() == 50);
}

TEST_CASE("timeout counts warm-up and measurement wall time", "[stats][measure_loop]") {
  FakeClock clock;
  SyntheticSource source(clock, 1.0, 0.0);  // every call takes exactly one second
  MeasureConfig c = config_with(StopCriterion::ci);
  c.warmup_runs = 3;
  c.timeout_s = 10;
  const Measurement m = MeasureLoop(c, clock).run(std::ref(source));
  CHECK_FALSE(m.stop.converged);
  CHECK(m.stop.why == "timeout");
  CHECK(m.warmup_runs == 3);
  CHECK(m.samples_s.size() == 7);  // calls 4…10 end at t = 4 s … 10 s
  CHECK(m.wall_s == 10.0);
}

TEST_CASE("sample_count takes exactly samples.min", "[stats][measure_loop]") {
  FakeClock clock;
  SyntheticSource source(clock, 1e-3, 0.5);
  MeasureConfig c = config_with(StopCriterion::sample_count);
  c.samples_min = 25;
  c.min_time_s = 100;  // not part of this criterion
  const Measurement m = MeasureLoop(c, clock).run(std::ref(source));
  CHECK(m.stop.converged);
  CHECK(m.stop.why == "sample_count");
  CHECK(m.samples_s.size() == 25);
}

TEST_CASE("ci_ratio asks the caller for the ratio CI", "[stats][measure_loop]") {
  FakeClock clock;
  SyntheticSource source(clock, 1e-3, 0.5);
  MeasureConfig c = config_with(StopCriterion::ci_ratio);
  c.rel_halfwidth = 0.005;
  std::size_t asked = 0;
  std::vector<std::size_t> seen_n;
  // A stand-in for the runner's paired ratio CI: it narrows with every test.
  const auto ratio = [&](std::span<const double> samples) {
    seen_n.push_back(samples.size());
    return 0.02 / static_cast<double>(++asked);
  };
  const Measurement m = MeasureLoop(c, clock, ratio).run(std::ref(source));
  CHECK(m.stop.converged);
  CHECK(m.stop.why == "ratio_rel_halfwidth<=0.005");
  CHECK(asked == 4);
  CHECK(seen_n == std::vector<std::size_t>{20, 36, 52, 68});
  CHECK(m.samples_s.size() == 20 + 3 * 16);
  CHECK_THROWS_AS(MeasureLoop(c, clock), std::invalid_argument);
}

TEST_CASE("stop.min_time_s delays the first test", "[stats][measure_loop]") {
  FakeClock clock;
  SyntheticSource source(clock, 0.01, 0.0);
  MeasureConfig c = config_with(StopCriterion::ci);
  c.min_time_s = 0.5;
  const Measurement m = MeasureLoop(c, clock).run(std::ref(source));
  CHECK(m.stop.converged);
  // Constant 10 ms samples: the accumulated time first reaches 0.5 s at sample 50 (±1 for rounding).
  CHECK(m.samples_s.size() >= 50);
  CHECK(m.samples_s.size() <= 51);
}

TEST_CASE("warm-up runs are never recorded and honour min_time_s", "[stats][measure_loop]") {
  FakeClock clock;
  std::size_t calls = 0;
  const auto source = [&]() -> double {
    ++calls;
    clock.now += 0.5;
    return calls <= 4 ? 9.0 : 1e-3;
  };
  MeasureConfig c = config_with(StopCriterion::sample_count);
  c.warmup_runs = 3;
  c.warmup_min_time_s = 2.0;  // four 0.5 s runs
  const Measurement m = MeasureLoop(c, clock).run(source);
  CHECK(m.warmup_runs == 4);
  REQUIRE(m.samples_s.size() == 20);
  for (double s : m.samples_s) CHECK(s == 1e-3);
}

TEST_CASE("discarded samples are counted, not recorded", "[stats][measure_loop]") {
  FakeClock clock;
  std::size_t calls = 0;
  const MeasureLoop::SampleSource source = [&]() -> std::optional<double> {
    ++calls;
    clock.now += 1e-3;
    if (calls > 2 && calls % 3 == 0) return std::nullopt;  // every third measured call is throttled
    return 1e-3;
  };
  MeasureConfig c = config_with(StopCriterion::sample_count);
  c.samples_min = 10;
  const Measurement m = MeasureLoop(c, clock).run(source);
  CHECK(m.samples_s.size() == 10);
  CHECK(m.discarded == 5);
  CHECK(m.to_json().at("discarded_throttle").get<int>() == 5);

  FakeClock stuck;
  const MeasureLoop::SampleSource never = [&]() -> std::optional<double> {
    stuck.now += 1.0;
    return std::nullopt;
  };
  MeasureConfig t = config_with(StopCriterion::ci);
  t.timeout_s = 5;
  const Measurement none = MeasureLoop(t, stuck).run(never);
  CHECK(none.stop.why == "timeout");
  CHECK(none.samples_s.empty());
}

TEST_CASE("cancellation and invalid samples", "[stats][measure_loop]") {
  FakeClock clock;
  std::atomic<bool> cancel{false};
  std::size_t calls = 0;
  const auto source = [&] {
    if (++calls == 7) cancel = true;
    clock.now += 1e-3;
    return 1e-3;
  };
  const Measurement m = MeasureLoop(config_with(StopCriterion::ci), clock).run(source, &cancel);
  CHECK(m.stop.why == "cancelled");
  CHECK_FALSE(m.stop.converged);
  CHECK(m.samples_s.size() == 5);  // 2 warm-up calls, then samples 1…5; call 7 sets the flag

  const auto negative = [&] { return -1.0; };
  CHECK_THROWS_AS(MeasureLoop(config_with(StopCriterion::ci), clock).run(negative), std::invalid_argument);
}

TEST_CASE("SteadyTimer measures elapsed host time", "[stats][timer]") {
  SteadyTimer timer;
  Timer& t = timer;
  CHECK(t.name() == "steady_clock");
  SteadyWallClock wall;
  t.start();
  const double wall_start = wall.now_s();
  volatile double sink = 0;
  for (int i = 0; i < 200000; ++i) sink = sink + 1.0;
  const double wall_elapsed = wall.now_s() - wall_start;
  const double elapsed = t.stop_s();
  CHECK(elapsed > 0);
  CHECK(elapsed >= wall_elapsed);  // the timer interval encloses the wall-clock interval
  CHECK(elapsed < 5.0);
}
