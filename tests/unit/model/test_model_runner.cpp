#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "catch.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/npy.hpp"
#include "model/checkpoint.hpp"
#include "model/cpu_model_runner.hpp"
#include "model/generation.hpp"

using namespace corey;
using namespace corey::model;

namespace {

const std::string kDataDir = std::string(COREY_TEST_DATA_DIR) + "/model/";

struct Reference {
  Json meta;
  core::NpyArray logits;
};

Reference reference(const std::string& name) {
  Reference r;
  r.meta = Json::parse(read_file(kDataDir + name + "/reference.json"));
  r.logits = core::read_npy(kDataDir + name + "/logits.npy");
  return r;
}

double max_abs_diff(const float* a, const float* b, std::size_t n) {
  double m = 0.0;
  for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
  return m;
}

}  // namespace

TEST_CASE("CPU logits match the float64 numpy model for prompt lengths 1…300", "[model]") {
  for (const std::string name : {"np_tied", "np_untied"}) {
    CAPTURE(name);
    CpuModelRunner runner(load_weights(kDataDir + name), 2);
    const Reference ref = reference(name);
    const auto prompt = ref.meta["prompt"].get<std::vector<std::int32_t>>();
    const auto V = static_cast<std::size_t>(runner.config().vocab_size);
    REQUIRE(ref.logits.shape == std::vector<std::int64_t>{300, static_cast<std::int64_t>(V)});
    const auto* want = static_cast<const float*>(ref.logits.data());
    for (const std::size_t length : {1, 2, 5, 17, 64, 300}) {
      CAPTURE(length);
      const std::span<const std::int32_t> ids(prompt.data(), length);
      const PrefillResult got = runner.prefill(ids, PrefillOptions{});
      REQUIRE(got.logits.size() == length * V);
      CHECK(max_abs_diff(got.logits.data(), want, length * V) < 1e-4);
      CHECK(got.all_honoured());
      CHECK(got.scans.size() == static_cast<std::size_t>(runner.config().n_layer));
    }
    const auto gen_prompt = ref.meta["greedy_prompt"].get<std::vector<std::int32_t>>();
    const auto want_ids = ref.meta["greedy_new_ids"].get<std::vector<std::int32_t>>();
    const GenerationResult gen =
        generate_greedy(runner, gen_prompt, static_cast<std::int64_t>(want_ids.size()), PrefillOptions{});
    CHECK(gen.new_ids == want_ids);
  }
}

TEST_CASE("prefill logits are bitwise equal for every chunk size 32…2048 (inkernel)", "[model]") {
  CpuModelRunner runner(load_weights(kDataDir + "np_tied"), 2);
  std::mt19937 gen(6);
  std::uniform_int_distribution<std::int32_t> token(0, 255);
  std::vector<std::int32_t> ids(2100);
  for (auto& id : ids) id = token(gen);
  PrefillOptions single;
  single.chunk_mode = scan::ChunkMode::single;
  const PrefillResult base = runner.prefill(ids, single);
  for (std::int64_t q = 32; q <= 2048; q *= 2) {
    CAPTURE(q);
    PrefillOptions options;
    options.chunk_mode = scan::ChunkMode::inkernel;
    options.chunk = q;
    const PrefillResult got = runner.prefill(ids, options);
    REQUIRE(got.logits.size() == base.logits.size());
    CHECK(std::memcmp(got.logits.data(), base.logits.data(), base.logits.size() * sizeof(float)) == 0);
    REQUIRE(got.scans.size() == 2);
    for (const LayerScanRecord& s : got.scans) {
      CHECK(s.report.q_effective == q);
      CHECK(s.report.chunks_executed == (2100 + q - 1) / q);
      CHECK(s.report.tokens == 2100);
    }
    CHECK(got.all_honoured());
  }
}

TEST_CASE("the per-layer hook sees u and its chunk is the one the scan runs", "[model]") {
  CpuModelRunner runner(load_weights(kDataDir + "np_tied"), 1);
  const std::vector<std::int32_t> ids{5, 200, 17, 99, 3, 3, 3, 180, 42, 7, 64, 128, 255, 0, 1, 2, 77};
  std::vector<LayerActivation> seen;
  std::vector<double> u_sums;
  PrefillOptions options;
  options.hook = [&](const LayerActivation& a) {
    seen.push_back(a);
    double sum = 0.0;
    for (std::int64_t i = 0; i < a.d_inner * a.seqlen; ++i) sum += a.u[i];
    u_sums.push_back(sum);
    return a.layer == 0 ? std::int64_t{3} : std::int64_t{5};
  };
  const PrefillResult got = runner.prefill(ids, options);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].layer == 0);
  CHECK(seen[1].layer == 1);
  CHECK(seen[0].seqlen == 17);
  CHECK(seen[0].d_inner == 96);
  CHECK_FALSE(seen[0].on_device);
  CHECK(std::isfinite(u_sums[0]));
  CHECK(u_sums[0] != u_sums[1]);
  CHECK(got.scans[0].chunk_requested == 3);
  CHECK(got.scans[0].report.chunks_executed == 6);
  CHECK(got.scans[1].report.q_effective == 5);
  CHECK(got.scans[1].report.chunks_executed == 4);
  CHECK(got.all_honoured());
  const PrefillResult plain = runner.prefill(ids, PrefillOptions{});
  CHECK(std::memcmp(plain.logits.data(), got.logits.data(), got.logits.size() * sizeof(float)) == 0);

  options.hook = [](const LayerActivation&) { return std::int64_t{0}; };
  CHECK_THROWS_AS(runner.prefill(ids, options), Error);
}

TEST_CASE("prefill then decode steps agree with a prefill of the longer sequence", "[model]") {
  for (const std::string name : {"np_tied", "np_untied"}) {
    CAPTURE(name);
    CpuModelRunner runner(load_weights(kDataDir + name), 2);
    const auto prompt = reference(name).meta["prompt"].get<std::vector<std::int32_t>>();
    const std::size_t split = 40, total = 56;
    const auto V = static_cast<std::size_t>(runner.config().vocab_size);
    const PrefillResult full = runner.prefill(std::span<const std::int32_t>(prompt.data(), total), PrefillOptions{});
    PrefillOptions last_only;
    last_only.all_logits = false;
    const PrefillResult head = runner.prefill(std::span<const std::int32_t>(prompt.data(), split), last_only);
    REQUIRE(head.logits.size() == V);
    CHECK(max_abs_diff(head.logits.data(), full.logits.data() + (split - 1) * V, V) < 1e-5);
    for (std::size_t t = split; t < total; ++t) {
      const std::vector<float> step = runner.decode_step(prompt[t]);
      CHECK(max_abs_diff(step.data(), full.logits.data() + t * V, V) < 1e-5);
    }
    // A decode step from the empty state is a one-token prefill.
    runner.reset();
    const std::vector<float> first = runner.decode_step(prompt[0]);
    CHECK(max_abs_diff(first.data(), full.logits.data(), V) < 1e-5);
  }
}

TEST_CASE("perplexity equals the one computed from the numpy logits", "[model]") {
  CpuModelRunner runner(load_weights(kDataDir + "np_untied"), 2);
  const Reference ref = reference("np_untied");
  const auto prompt = ref.meta["prompt"].get<std::vector<std::int32_t>>();
  const auto* logits = static_cast<const float*>(ref.logits.data());
  const std::size_t V = 256;
  double nll = 0.0;
  for (std::size_t t = 0; t + 1 < prompt.size(); ++t) {
    double sum = 0.0;
    for (std::size_t v = 0; v < V; ++v) sum += std::exp(static_cast<double>(logits[t * V + v]));
    nll += std::log(sum) - logits[t * V + static_cast<std::size_t>(prompt[t + 1])];
  }
  nll /= static_cast<double>(prompt.size() - 1);
  const Perplexity p = perplexity(runner, prompt, PrefillOptions{});
  CHECK(p.predicted == 299);
  CHECK(p.mean_nll == Approx(nll).margin(1e-5));
  CHECK(p.perplexity == Approx(std::exp(nll)).epsilon(1e-5));
  const std::vector<std::int32_t> one{1};
  CHECK_THROWS_AS(perplexity(runner, one, PrefillOptions{}), Error);
}

TEST_CASE("bad token ids and empty prompts are usage errors", "[model]") {
  CpuModelRunner runner(load_weights(kDataDir + "np_tied"), 1);
  const std::vector<std::int32_t> bad{1, 256};
  CHECK_THROWS_AS(runner.prefill(bad, PrefillOptions{}), Error);
  CHECK_THROWS_AS(runner.prefill(std::span<const std::int32_t>(), PrefillOptions{}), Error);
}
