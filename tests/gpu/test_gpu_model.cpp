// GPU tests of the CUDA ModelRunner against independent references: transformers' MambaForCausalLM logits and
// greedy ids (tests/data/model_hf, written by tools/model/make_hf_fixtures.py), bitwise chunk invariance of the
// `seq` scan inside the whole model, prefill + decode against a longer prefill, and the device-side chunk rule
// against the CPU runner's rule (CPU statistics).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "catch.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/npy.hpp"
#include "entropy/cpu_stats.hpp"
#include "model/checkpoint.hpp"
#include "model/cpu_model_runner.hpp"
#include "model/cuda_model_runner.hpp"
#include "model/generation.hpp"

using namespace corey;
using namespace corey::model;
namespace fs = std::filesystem;

namespace {

// COREY_TEST_DATA_DIR in the environment points at tests/data when the binary runs away from the tree it
// was built in (binaries built here and carried to a GPU machine).
fs::path data_dir() {
  if (const char* env = std::getenv("COREY_TEST_DATA_DIR")) return env;
  return COREY_TEST_DATA_DIR;
}

struct Fixture {
  std::string name;
  MambaWeights weights;
  std::vector<std::int32_t> prompt;
  std::vector<float> logits;  // (prompt length, V) from transformers, fp32
  std::vector<std::int32_t> greedy_prompt, greedy_ids;
};

std::vector<Fixture> hf_fixtures() {
  std::vector<Fixture> out;
  for (const char* name : {"hf_tied", "hf_untied"}) {
    const fs::path dir = data_dir() / "model_hf" / name;
    Fixture f;
    f.name = name;
    const Json ref = Json::parse(read_file((dir / "reference.json").string()));
    const core::NpyArray logits = core::read_npy((dir / "logits.npy").string());
    f.weights = load_weights(dir.string());
    f.prompt = ref["prompt"].get<std::vector<std::int32_t>>();
    const auto* p = static_cast<const float*>(logits.data());
    f.logits.assign(p, p + f.prompt.size() * static_cast<std::size_t>(f.weights.config.vocab_size));
    f.greedy_prompt = ref["greedy_prompt"].get<std::vector<std::int32_t>>();
    f.greedy_ids = ref["greedy_new_ids"].get<std::vector<std::int32_t>>();
    out.push_back(std::move(f));
  }
  return out;
}

double max_abs_diff(const float* a, const float* b, std::size_t n) {
  double m = 0.0;
  for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
  return m;
}

std::vector<std::int32_t> long_prompt(std::size_t n, std::int32_t vocab) {
  std::vector<std::int32_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<std::int32_t>((i * 131 + (i / 7) * 17 + 3) % vocab);
  return ids;
}

// Half-precision weights and activations against transformers' fp32 logits (|logits| <= 6.6): one rounding of
// every activation to 8 (bf16) or 11 (fp16) significant bits through two layers. Measured on an H200: bf16
// 0.043, fp16 0.0025 at 300 tokens; the bounds leave about 2-4x.
double dtype_tolerance(DType t) { return t == DType::bf16 ? 0.1 : t == DType::f16 ? 0.01 : 1e-4; }

}  // namespace

TEST_CASE("CUDA logits and greedy ids match transformers (fp32), within a dtype tolerance in fp16/bf16",
          "[gpu][model][hf]") {
  for (Fixture& f : hf_fixtures()) {
    CAPTURE(f.name);
    const auto V = static_cast<std::size_t>(f.weights.config.vocab_size);
    // hf_untied has 8 states: the runner zero-pads them to the kernels' 16, which must not change a logit.
    for (DType t : {DType::f32, DType::f16, DType::bf16}) {
      CAPTURE(to_string(t));
      cuda::CudaModelRunner runner(0, f.weights, t);
      CHECK(runner.backend() == "cuda");
      for (const std::size_t length : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{33},
                                       std::size_t{128}, f.prompt.size()}) {
        CAPTURE(length);
        const PrefillResult got = runner.prefill(std::span<const std::int32_t>(f.prompt.data(), length), PrefillOptions{});
        REQUIRE(got.logits.size() == length * V);
        const double err = max_abs_diff(got.logits.data(), f.logits.data(), length * V);
        std::printf("hf %s %s L=%zu max |logit error| %.3g\n", f.name.c_str(), std::string(to_string(t)).c_str(),
                    length, err);
        CHECK(err <= dtype_tolerance(t));
        CHECK(got.all_honoured());
        CHECK(got.scans.size() == static_cast<std::size_t>(f.weights.config.n_layer));
      }
      if (t == DType::f32) {
        const GenerationResult gen = generate_greedy(runner, f.greedy_prompt,
                                                     static_cast<std::int64_t>(f.greedy_ids.size()), PrefillOptions{});
        CHECK(gen.new_ids == f.greedy_ids);
      }
    }
  }
}

TEST_CASE("a model with more states than the device kernels hold is refused, not truncated", "[gpu][model]") {
  MambaWeights weights = load_weights((data_dir() / "model_hf" / "hf_tied").string());
  weights.config.d_state = 32;
  CHECK_THROWS_AS(cuda::CudaModelRunner(0, weights, DType::f32), Error);
}

TEST_CASE("an untied CUDA head matches the CPU runner (validated against transformers' untied model)",
          "[gpu][model]") {
  MambaWeights weights = load_weights((data_dir() / "model_hf" / "hf_tied").string());
  weights.lm_head = weights.embeddings;
  for (std::size_t i = 0; i < weights.lm_head.size(); ++i)
    weights.lm_head[i] = 0.5f * weights.lm_head[i] + 0.01f * static_cast<float>(static_cast<int>(i * 7 % 13) - 6);
  weights.config.tie_embeddings = false;
  const auto V = static_cast<std::size_t>(weights.config.vocab_size);
  const std::vector<std::int32_t> ids = long_prompt(90, static_cast<std::int32_t>(V));
  CpuModelRunner cpu(weights, 2);
  cuda::CudaModelRunner gpu(0, weights, DType::f32);
  const PrefillResult want = cpu.prefill(ids, PrefillOptions{});
  const PrefillResult got = gpu.prefill(ids, PrefillOptions{});
  CHECK(max_abs_diff(got.logits.data(), want.logits.data(), ids.size() * V) <= 1e-4);
  const std::vector<float> step_want = cpu.decode_step(11);
  const std::vector<float> step_got = gpu.decode_step(11);
  CHECK(max_abs_diff(step_got.data(), step_want.data(), V) <= 1e-4);
}

TEST_CASE("CUDA prefill logits are bitwise equal for every chunk size 32…2048 (inkernel)", "[gpu][model]") {
  const MambaWeights weights = load_weights((data_dir() / "model_hf" / "hf_tied").string());
  const std::vector<std::int32_t> ids = long_prompt(2100, static_cast<std::int32_t>(weights.config.vocab_size));
  for (DType t : {DType::f32, DType::bf16}) {
    CAPTURE(to_string(t));
    cuda::CudaModelRunner runner(0, weights, t);
    const PrefillResult single = runner.prefill(ids, PrefillOptions{});
    REQUIRE(single.all_honoured());
    for (std::int64_t q = 32; q <= 2048; q *= 2) {
      CAPTURE(q);
      PrefillOptions options;
      options.chunk = q;
      const PrefillResult got = runner.prefill(ids, options);
      CHECK(got.all_honoured());
      CHECK(got.scans[0].report.q_effective == q);
      CHECK(got.scans[0].report.chunks_executed == scan::chunk_count(2100, q));
      CHECK(std::memcmp(got.logits.data(), single.logits.data(), got.logits.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("CUDA prefill then decode steps agree with a prefill of the longer sequence and with the CPU runner",
          "[gpu][model]") {
  const MambaWeights weights = load_weights((data_dir() / "model_hf" / "hf_tied").string());
  const auto V = static_cast<std::size_t>(weights.config.vocab_size);
  const std::vector<std::int32_t> ids = long_prompt(48, static_cast<std::int32_t>(V));
  const std::size_t head = 37;
  CpuModelRunner cpu(weights, 2);
  cpu.prefill(std::span<const std::int32_t>(ids.data(), head), PrefillOptions{});
  for (DType t : {DType::f32, DType::bf16}) {
    CAPTURE(to_string(t));
    // fp32: GEMV vs GEMM summation order only. bf16: that order can flip the rounding of an activation.
    const double tol = t == DType::f32 ? 1e-4 : 1e-2;
    cuda::CudaModelRunner runner(0, weights, t);
    const PrefillResult full = runner.prefill(ids, PrefillOptions{});
    PrefillOptions last_only;
    last_only.all_logits = false;
    const PrefillResult part = runner.prefill(std::span<const std::int32_t>(ids.data(), head), last_only);
    REQUIRE(part.positions == 1);
    CHECK(max_abs_diff(part.logits.data(), full.logits.data() + (head - 1) * V, V) <= tol);
    double worst = 0.0;
    for (std::size_t i = head; i < ids.size(); ++i) {
      CAPTURE(i);
      const std::vector<float> step = runner.decode_step(ids[i]);
      REQUIRE(step.size() == V);
      const double err = max_abs_diff(step.data(), full.logits.data() + i * V, V);
      worst = std::max(worst, err);
      CHECK(err <= tol);
      if (t == DType::f32) {
        const std::vector<float> want = cpu.decode_step(ids[i]);
        CHECK(max_abs_diff(step.data(), want.data(), V) <= 1e-4);
      }
    }
    std::printf("decode vs prefill %s: max |logit difference| %.3g\n", std::string(to_string(t)).c_str(), worst);
    // reset() returns to the empty sequence: a decode from there equals a one-token prefill.
    runner.reset();
    const std::vector<float> first = runner.decode_step(ids[0]);
    CHECK(max_abs_diff(first.data(), full.logits.data(), V) <= tol);
  }
}

TEST_CASE("a CUDA backend rule chooses the chunks the CPU rule chooses, with no silent fallback", "[gpu][model][rule]") {
  const MambaWeights weights = load_weights((data_dir() / "model_hf" / "hf_tied").string());
  const std::vector<std::int32_t> ids = long_prompt(700, static_cast<std::int32_t>(weights.config.vocab_size));
  BackendChunkRule rule;
  rule.statistic.estimator = entropy::Estimator::hist;
  rule.statistic.bins = 256;
  rule.rule.h_ref = 6.0;
  rule.rule.c_min = 8;
  rule.rule.c_max = 1024;

  PrefillOptions by_rule;
  CpuModelRunner cpu(weights, 2);
  cuda::CudaModelRunner runner(0, weights, DType::f32);
  entropy::CpuStats stats;
  PrefillResult got;
  // A proxy is folded from the conv's power sums inside the scan's launch; hist reads u on its own stream.
  for (entropy::Estimator e : {entropy::Estimator::cheap_proxy, entropy::Estimator::variance_proxy,
                               entropy::Estimator::kurtosis_proxy, entropy::Estimator::hist}) {
    CAPTURE(entropy::to_string(e));
    rule.statistic.estimator = e;
    by_rule.backend_rule = rule;
    const PrefillResult want = cpu.prefill(ids, by_rule);
    got = runner.prefill(ids, by_rule);
    REQUIRE(got.scans.size() == want.scans.size());
    CHECK(got.all_honoured());

    // The same rule as a host hook: u copied back (the per-layer host sync) and the CPU statistics on it.
    std::vector<double> hook_h;
    PrefillOptions by_hook;
    by_hook.hook = [&](const LayerActivation& a) {
      REQUIRE(a.on_device);
      std::vector<float> u(static_cast<std::size_t>(a.d_inner * a.seqlen));
      REQUIRE(cudaMemcpy(u.data(), a.u, u.size() * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
      const entropy::ChunkChoice c = stats.choose_chunk(
          entropy::contiguous_view(u.data(), DType::f32, 1, a.d_inner, a.seqlen), rule.statistic, rule.rule);
      hook_h.push_back(c.entropy.value);
      return c.chunk;
    };
    const PrefillResult hooked = runner.prefill(ids, by_hook);
    CHECK(hooked.all_honoured());
    for (std::size_t l = 0; l < got.scans.size(); ++l) {
      CAPTURE(l);
      REQUIRE(got.scans[l].entropy.has_value());
      CHECK(got.scans[l].chunk_requested == hooked.scans[l].chunk_requested);
      CHECK(got.scans[l].chunk_requested == want.scans[l].chunk_requested);
      CHECK(got.scans[l].report.q_effective == got.scans[l].chunk_requested);
      CHECK(*got.scans[l].entropy == Approx(hook_h[l]).margin(1e-5));
      CHECK(*got.scans[l].entropy == Approx(*want.scans[l].entropy).margin(1e-3));
    }
    CHECK(std::memcmp(got.logits.data(), hooked.logits.data(), got.logits.size() * sizeof(float)) == 0);
  }

  // The guard on the device: a fallback one log2 bucket from layer 0's choice replaces it when m = 2.
  BackendChunkRule guarded = rule;
  guarded.guard_fallback = 2 * got.scans[0].chunk_requested;
  guarded.guard_min_delta_buckets = 2;
  by_rule.backend_rule = guarded;
  const PrefillResult g = runner.prefill(ids, by_rule);
  CHECK(g.scans[0].chunk_requested == apply_guard(guarded, got.scans[0].chunk_requested));
  CHECK(g.scans[0].chunk_requested == guarded.guard_fallback);
  CHECK(g.all_honoured());

  // A device-chosen Q needs the in-kernel chunk loop.
  by_rule.chunk_mode = scan::ChunkMode::launch;
  CHECK_THROWS_AS(runner.prefill(ids, by_rule), Error);
}

TEST_CASE("CUDA runner: a host hook on a bf16 model sees fp32 u; bad input is a usage error", "[gpu][model]") {
  const MambaWeights weights = load_weights((data_dir() / "model_hf" / "hf_tied").string());
  cuda::CudaModelRunner runner(0, weights, DType::bf16);
  const std::vector<std::int32_t> ids = long_prompt(65, static_cast<std::int32_t>(weights.config.vocab_size));
  std::vector<double> sums;
  PrefillOptions options;
  options.chunk_mode = scan::ChunkMode::launch;
  options.hook = [&](const LayerActivation& a) {
    std::vector<float> u(static_cast<std::size_t>(a.d_inner * a.seqlen));
    REQUIRE(cudaMemcpy(u.data(), a.u, u.size() * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
    double s = 0.0;
    for (float v : u) s += std::abs(v);
    sums.push_back(s);
    return a.layer == 0 ? std::int64_t{16} : std::int64_t{7};
  };
  const PrefillResult got = runner.prefill(ids, options);
  REQUIRE(sums.size() == 2);
  CHECK(std::isfinite(sums[0]));
  CHECK(sums[0] > 0.0);
  CHECK(got.scans[0].report.chunks_executed == 5);
  CHECK(got.scans[1].report.chunks_executed == 10);
  CHECK(got.all_honoured());
  const PrefillResult plain = runner.prefill(ids, PrefillOptions{});
  CHECK(std::memcmp(plain.logits.data(), got.logits.data(), got.logits.size() * sizeof(float)) == 0);

  const std::vector<std::int32_t> bad{1, 2, 100000};
  CHECK_THROWS_AS(runner.prefill(bad, PrefillOptions{}), Error);
  CHECK_THROWS_AS(runner.prefill(std::span<const std::int32_t>(), PrefillOptions{}), Error);
  CHECK_THROWS_AS(runner.decode_step(-1), Error);
  options.hook = [](const LayerActivation&) { return std::int64_t{0}; };
  CHECK_THROWS_AS(runner.prefill(ids, options), Error);
}
