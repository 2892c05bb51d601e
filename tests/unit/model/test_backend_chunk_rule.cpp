// The CPU runner's BackendChunkRule: each layer's Q comes from the histogram entropy of its post-conv u, the
// chunk rule of PAPER.md §2.3 and the guard. The reference entropy and chunk are computed here from the u a
// host hook sees, with a plain implementation of the paper's formulas (not the library's).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "catch.hpp"
#include "model/checkpoint.hpp"
#include "model/cpu_model_runner.hpp"

using namespace corey;
using namespace corey::model;

namespace {

const std::string kDataDir = std::string(COREY_TEST_DATA_DIR) + "/model/";

// PAPER.md §2.2 (E-routed): 256 bins over [min, max] with the 1e-8 / 1e-10 epsilons, natural log.
double paper_hist_entropy(const float* u, std::int64_t n) {
  const float lo = *std::min_element(u, u + n);
  const float hi = *std::max_element(u, u + n);
  if (static_cast<double>(hi) - lo < 1e-8) return 0.0;
  const auto denom = static_cast<float>(static_cast<double>(hi) - static_cast<double>(lo) + 1e-8);
  std::vector<double> counts(256, 0.0);
  for (std::int64_t i = 0; i < n; ++i) {
    const float scaled = (u[i] - lo) / denom * 256.0f;
    counts[static_cast<std::size_t>(std::clamp(std::floor(scaled), 0.0f, 255.0f))] += 1.0;
  }
  double h = 0.0;
  for (double c : counts) {
    const double p = c / (static_cast<double>(n) + 1e-10);
    if (p > 1e-10) h -= p * std::log(p + 1e-10);
  }
  return h;
}

// PAPER.md §2.3 with round-half-even in the log2 domain.
std::int64_t paper_chunk(double h, double h_ref, std::int64_t c_min, std::int64_t c_max) {
  const double r = std::min(h / h_ref, 1.0);
  const double raw = static_cast<double>(c_min) + r * static_cast<double>(c_max - c_min);
  const double e = std::nearbyint(std::log2(std::max(raw, 1.0)));
  return std::clamp(static_cast<std::int64_t>(std::ldexp(1.0, static_cast<int>(e))), c_min, c_max);
}

}  // namespace

TEST_CASE("a CPU backend rule chooses each layer's chunk from the entropy of its u", "[model][rule]") {
  CpuModelRunner runner(load_weights(kDataDir + "np_tied"), 1);
  std::vector<std::int32_t> ids;
  for (int i = 0; i < 150; ++i) ids.push_back(static_cast<std::int32_t>((i * 37 + 11) % 256));

  BackendChunkRule rule;
  rule.statistic.estimator = entropy::Estimator::hist;
  rule.statistic.bins = 256;
  rule.rule.h_ref = 6.0;
  rule.rule.c_min = 8;
  rule.rule.c_max = 1024;

  std::vector<double> want_h;
  std::vector<std::int64_t> want_q;
  PrefillOptions by_hook;
  by_hook.hook = [&](const LayerActivation& a) {
    const double h = paper_hist_entropy(a.u, a.d_inner * a.seqlen);
    want_h.push_back(h);
    want_q.push_back(paper_chunk(h, rule.rule.h_ref, rule.rule.c_min, rule.rule.c_max));
    return want_q.back();
  };
  const PrefillResult hooked = runner.prefill(ids, by_hook);
  REQUIRE(want_q.size() == 2);

  PrefillOptions by_rule;
  by_rule.chunk = 3;  // overridden by the rule
  by_rule.backend_rule = rule;
  const PrefillResult ruled = runner.prefill(ids, by_rule);
  REQUIRE(ruled.scans.size() == 2);
  for (std::size_t l = 0; l < 2; ++l) {
    CAPTURE(l);
    REQUIRE(ruled.scans[l].entropy.has_value());
    CHECK(*ruled.scans[l].entropy == Approx(want_h[l]).epsilon(1e-12));
    CHECK(ruled.scans[l].chunk_requested == want_q[l]);
    CHECK(ruled.scans[l].report.q_effective == want_q[l]);
    CHECK_FALSE(hooked.scans[l].entropy.has_value());
  }
  CHECK(ruled.all_honoured());
  CHECK(std::memcmp(hooked.logits.data(), ruled.logits.data(), ruled.logits.size() * sizeof(float)) == 0);

  SECTION("the guard replaces a chunk within m buckets of the fallback") {
    BackendChunkRule guarded = rule;
    guarded.guard_fallback = want_q[0];
    guarded.guard_min_delta_buckets = 1;  // only Q == F itself is within 0 buckets: nothing changes
    by_rule.backend_rule = guarded;
    const PrefillResult same = runner.prefill(ids, by_rule);
    CHECK(same.scans[0].chunk_requested == want_q[0]);

    guarded.guard_fallback = 2 * want_q[0];  // one bucket away: replaced when m = 2
    guarded.guard_min_delta_buckets = 2;
    by_rule.backend_rule = guarded;
    const PrefillResult replaced = runner.prefill(ids, by_rule);
    CHECK(replaced.scans[0].chunk_requested == 2 * want_q[0]);
    CHECK(replaced.all_honoured());
  }

  SECTION("apply_guard follows |round(log2 Q) - round(log2 F)| < m") {
    BackendChunkRule g;
    CHECK(apply_guard(g, 100) == 100);  // no guard
    g.guard_fallback = 256;
    g.guard_min_delta_buckets = 2;
    CHECK(apply_guard(g, 128) == 256);   // 7 vs 8
    CHECK(apply_guard(g, 64) == 64);     // 6 vs 8
    CHECK(apply_guard(g, 1024) == 1024); // 10 vs 8
    CHECK(apply_guard(g, 362) == 256);   // log2 362 = 8.4998 -> 8
  }
}
