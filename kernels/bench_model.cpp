// Batch-1 benchmark of the CUDA ModelRunner (issue 6): decode time per token (the CUDA Graph of one token,
// CUDA events around each replay, warm-up first, median and p10/p90 over --tokens, default 200) against the
// weight-read floors of KERNELS.md §11, and prefill throughput for prompts of 128, 1021, 1024 and 4096 tokens
// (1021: a length that is not a multiple of 8, which once fell off cuBLAS' tensor-core path).
// Synthetic weights of the mamba-130m / mamba-370m shapes (KERNELS.md §4.4 statistics); the values do not
// change the work, only the shapes do. Writes one JSON document.
//
// --rule-overhead instead times a 1008-token prefill with the device_* rows' backend chunk rules against a
// fixed chunk (issue 7: what the device statistics add to a prefill).
//
//   corey_bench_model --out FILE [--models mamba-130m,mamba-370m] [--dtypes fp32,bf16] [--tokens 200] [--quick]
//                     [--prefill-lengths 128,1021,1024,4096] [--decode-only | --rule-overhead]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bench_document.hpp"
#include "cuda_backend.hpp"
#include "model/cuda_model_runner.hpp"
#include "model/synthetic_checkpoint.hpp"

namespace cc = corey::cuda;
using corey::DType;
using corey::Json;

namespace {

// KERNELS.md §11: µs per token at batch 1 (weights read once per token, tied head included).
double floor_us(const std::string& model, DType dtype) {
  const double fp32 = model == "mamba-130m" ? 121.0 : model == "mamba-370m" ? 347.0 : 0.0;
  return dtype == DType::f32 ? fp32 : fp32 / 2.0;
}

// A cheap deterministic stand-in for normal(0, std): uniform with the same standard deviation.
void fill_uniform(std::vector<float>& v, std::int64_t n, float std_dev, std::uint64_t& state) {
  v.resize(static_cast<std::size_t>(n));
  const float half_width = std_dev * std::sqrt(3.0f);
  for (float& x : v) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const float u01 = static_cast<float>(state >> 40) * (1.0f / 16777216.0f);
    x = (2.0f * u01 - 1.0f) * half_width;
  }
}

corey::model::MambaWeights synthetic(const corey::model::MambaConfig& c) {
  std::uint64_t state = 42;
  corey::model::MambaWeights w;
  w.config = c;
  const std::int64_t M = c.d_model, D = c.d_inner, N = c.d_state, K = c.d_conv, R = c.dt_rank;
  fill_uniform(w.embeddings, c.vocab_size * M, 0.02f, state);
  for (std::int64_t l = 0; l < c.n_layer; ++l) {
    corey::model::LayerWeights lw;
    lw.norm.assign(static_cast<std::size_t>(M), 1.0f);
    fill_uniform(lw.in_proj, 2 * D * M, 0.02f, state);
    fill_uniform(lw.conv_w, D * K, 0.02f, state);
    lw.conv_b.assign(static_cast<std::size_t>(D), 0.0f);
    fill_uniform(lw.x_proj, c.x_proj_rows() * D, 0.02f, state);
    fill_uniform(lw.dt_proj_w, D * R, 0.02f, state);
    lw.dt_proj_b.assign(static_cast<std::size_t>(D), std::log(std::expm1(0.01f)));  // softplus⁻¹(δ₀ = 0.01)
    lw.A_log.resize(static_cast<std::size_t>(D * N));
    for (std::int64_t i = 0; i < D * N; ++i) lw.A_log[static_cast<std::size_t>(i)] = std::log(static_cast<float>(i % N + 1));
    lw.D_skip.assign(static_cast<std::size_t>(D), 1.0f);
    fill_uniform(lw.out_proj, M * D, 0.02f, state);
    w.layers.push_back(std::move(lw));
  }
  w.norm_f.assign(static_cast<std::size_t>(M), 1.0f);
  return w;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double pos = p * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

Json decode_section(cc::CudaModelRunner& runner, const std::string& model, int tokens, int warmup) {
  const std::int32_t V = static_cast<std::int32_t>(runner.config().vocab_size);
  std::vector<std::int32_t> prompt(16);
  for (std::size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<std::int32_t>((i * 7919 + 13) % V);
  corey::model::PrefillOptions options;
  options.all_logits = false;
  runner.prefill(prompt, options);
  cc::Timer timer(0);
  std::int32_t id = 17;
  for (int i = 0; i < warmup; ++i) runner.enqueue_decode((id + i) % V);
  runner.read_decode_logits();
  std::vector<double> us;
  for (int i = 0; i < tokens; ++i) {
    timer.start();
    runner.enqueue_decode((id + 31 * i) % V);
    timer.stop();
    us.push_back(timer.elapsed_s() * 1e6);
  }
  // Back-to-back tokens (no host wait between them): the steady-state rate of a generation loop that does
  // not look at the logits.
  timer.start();
  for (int i = 0; i < tokens; ++i) runner.enqueue_decode((id + 17 * i) % V);
  timer.stop();
  const double back_to_back_us = timer.elapsed_s() * 1e6 / tokens;
  const std::vector<float> logits = runner.read_decode_logits();
  const bool finite = std::all_of(logits.begin(), logits.end(), [](float x) { return std::isfinite(x); });
  const double floor = floor_us(model, runner.dtype());
  const double median = percentile(us, 0.5);
  Json j = Json::object();
  j["tokens"] = tokens;
  j["warmup_tokens"] = warmup;
  j["median_us"] = median;
  j["p10_us"] = percentile(us, 0.1);
  j["p90_us"] = percentile(us, 0.9);
  j["min_us"] = *std::min_element(us.begin(), us.end());
  j["back_to_back_us_per_token"] = back_to_back_us;
  j["floor_us"] = floor;
  j["ratio_to_floor"] = floor > 0 ? median / floor : 0.0;
  j["weight_bytes"] = runner.weight_bytes();
  j["effective_weight_GBps"] = static_cast<double>(runner.weight_bytes()) / (median * 1e-6) / 1e9;
  j["logits_finite"] = finite;
  return j;
}

Json prefill_section(cc::CudaModelRunner& runner, const std::vector<std::int64_t>& lengths, int reps) {
  const std::int32_t V = static_cast<std::int32_t>(runner.config().vocab_size);
  Json rows = Json::array();
  cc::Timer timer(0);
  for (const std::int64_t L : lengths) {
    std::vector<std::int32_t> ids(static_cast<std::size_t>(L));
    for (std::int64_t i = 0; i < L; ++i) ids[static_cast<std::size_t>(i)] = static_cast<std::int32_t>((i * 104729 + 7) % V);
    corey::model::PrefillOptions options;  // inkernel, one chunk per layer, last logits only
    options.all_logits = false;
    for (int i = 0; i < 2; ++i) runner.prefill(ids, options);
    std::vector<double> ms;
    bool honoured = true;
    for (int i = 0; i < reps; ++i) {
      timer.start();
      const corey::model::PrefillResult r = runner.prefill(ids, options);
      timer.stop();
      ms.push_back(timer.elapsed_s() * 1e3);
      honoured = honoured && r.all_honoured();
    }
    const double median = percentile(ms, 0.5);
    rows.push_back({{"prompt_tokens", L},
                    {"reps", reps},
                    {"median_ms", median},
                    {"p10_ms", percentile(ms, 0.1)},
                    {"p90_ms", percentile(ms, 0.9)},
                    {"tokens_per_s", static_cast<double>(L) / (median * 1e-3)},
                    {"all_honoured", honoured}});
  }
  return rows;
}

// Prefill with a backend chunk rule (the routed tier's device_* rows) against the same prefill with a fixed
// chunk, interleaved round by round so drift hits every row alike; the ratio of medians is the rule's cost.
Json rule_overhead_section(cc::CudaModelRunner& runner, std::int64_t L, int rounds) {
  const std::int32_t V = static_cast<std::int32_t>(runner.config().vocab_size);
  std::vector<std::int32_t> ids(static_cast<std::size_t>(L));
  for (std::int64_t i = 0; i < L; ++i) ids[static_cast<std::size_t>(i)] = static_cast<std::int32_t>((i * 104729 + 7) % V);
  struct Row {
    std::string name;
    corey::model::PrefillOptions options;
    std::vector<double> ms;
    bool tap = true;  // the conv does the statistic's pass 1, else the statistic reads u on its own stream
  };
  auto rule_row = [](std::string name, corey::entropy::Estimator estimator, std::int64_t stride, std::int64_t guard,
                     bool tap = true) {
    Row row{std::move(name), {}, {}, tap};
    corey::model::BackendChunkRule rule;
    rule.statistic.estimator = estimator;
    rule.statistic.stride = stride;
    rule.rule.c_min = 128;
    rule.rule.c_max = 2048;
    rule.guard_fallback = guard;
    rule.guard_min_delta_buckets = guard > 0 ? 2 : 0;
    row.options.backend_rule = rule;
    return row;
  };
  std::vector<Row> rows;
  rows.push_back(Row{"static_512", {}, {}});
  rows.back().options.chunk = 512;
  rows.push_back(rule_row("device_hist", corey::entropy::Estimator::hist, 1, 0));
  rows.push_back(rule_row("device_sampled_hist_s8", corey::entropy::Estimator::hist, 8, 0));
  rows.push_back(rule_row("device_guarded_sampled_hist_s8", corey::entropy::Estimator::hist, 8, 512));
  rows.push_back(rule_row("device_cheap_proxy", corey::entropy::Estimator::cheap_proxy, 1, 0));
  rows.push_back(rule_row("device_variance_proxy", corey::entropy::Estimator::variance_proxy, 1, 0));
  rows.push_back(rule_row("device_kurtosis_proxy", corey::entropy::Estimator::kurtosis_proxy, 1, 0));
  rows.push_back(rule_row("device_cheap_proxy no tap", corey::entropy::Estimator::cheap_proxy, 1, 0, false));
  rows.push_back(rule_row("device_variance_proxy no tap", corey::entropy::Estimator::variance_proxy, 1, 0, false));
  rows.push_back(rule_row("device_hist two-pass", corey::entropy::Estimator::hist, 1, 0, false));
  rows.push_back(rule_row("device_sampled_hist_s8 two-pass", corey::entropy::Estimator::hist, 8, 0, false));
  for (Row& row : rows) row.options.all_logits = false;
  cc::Timer timer(0);
  for (int round = -3; round < rounds; ++round) {
    for (std::size_t k = 0; k < rows.size(); ++k) {
      Row& row = rows[(k + static_cast<std::size_t>(round + 3)) % rows.size()];  // rotated order
      runner.set_statistics_tap(row.tap);
      timer.start();
      runner.prefill(ids, row.options);
      timer.stop();
      if (round >= 0) row.ms.push_back(timer.elapsed_s() * 1e3);
    }
  }
  const double base = percentile(rows.front().ms, 0.5);
  Json out = Json::array();
  for (const Row& row : rows) {
    const double median = percentile(row.ms, 0.5);
    out.push_back({{"row", row.name},
                   {"statistics_pass1", row.options.backend_rule ? (row.tap ? "conv tap" : "own launch") : "none"},
                   {"prompt_tokens", L},
                   {"rounds", rounds},
                   {"median_ms", median},
                   {"p10_ms", percentile(row.ms, 0.1)},
                   {"p90_ms", percentile(row.ms, 0.9)},
                   {"vs_static_512", median / base}});
  }
  return out;
}

// The value of a whole decimal number, or 0 when s is not one or not positive.
std::int64_t positive_integer(const std::string& s) {
  char* end = nullptr;
  const long long n = std::strtoll(s.c_str(), &end, 10);
  return s.empty() || *end != '\0' || n < 1 ? 0 : n;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_path;
  std::vector<std::string> models = {"mamba-130m", "mamba-370m"};
  std::vector<std::string> dtypes = {"fp32", "bf16"};
  int tokens = 200;
  bool quick = false;
  bool decode_only = false;
  bool rule_overhead = false;
  std::vector<std::int64_t> prefill_lengths;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out_path = argv[++i];
    } else if (a == "--models" && i + 1 < argc) {
      models = split(argv[++i]);
    } else if (a == "--dtypes" && i + 1 < argc) {
      dtypes = split(argv[++i]);
    } else if (a == "--tokens" && i + 1 < argc) {
      const std::int64_t n = positive_integer(argv[++i]);
      if (n < 1 || n > 1000000) {
        std::cerr << "corey_bench_model: --tokens needs a positive integer, got '" << argv[i] << "'\n";
        return 2;
      }
      tokens = static_cast<int>(n);
    } else if (a == "--prefill-lengths" && i + 1 < argc) {
      for (const std::string& v : split(argv[++i])) {
        const std::int64_t n = positive_integer(v);
        if (n < 1) {
          std::cerr << "corey_bench_model: --prefill-lengths needs positive integers, got '" << v << "'\n";
          return 2;
        }
        prefill_lengths.push_back(n);
      }
    } else if (a == "--quick") {
      quick = true;
    } else if (a == "--decode-only") {
      decode_only = true;
    } else if (a == "--rule-overhead") {
      rule_overhead = true;
    } else {
      std::cerr << "usage: corey_bench_model --out FILE [--models mamba-130m,mamba-370m] [--dtypes fp32,bf16] "
                   "[--tokens 200] [--quick] [--prefill-lengths 128,1021,1024,4096] [--decode-only | --rule-overhead]\n";
      return 2;
    }
  }
  if (cc::device_count() == 0) {
    std::puts("skipped: no CUDA device");
    return 77;
  }
  try {
    cc::set_device(0);
    Json doc = cc::bench_document("corey.model-bench/1");
    doc["method"] =
        "batch 1, synthetic weights of the model's shape. decode: one CUDA Graph per token (embedding, 3 fused "
        "kernels per layer with programmatic dependent launch, norm + head); CUDA events around each token's enqueue (4-byte id upload + graph "
        "replay), waited one at a time, after warm-up; median and p10/p90. back_to_back: tokens enqueued without "
        "host waits, total / tokens. prefill: events around prefill() (inkernel, one chunk per layer, last-position "
        "logits), which includes the single report/logits read-back; 2 warm-ups, median of reps. Clocks not locked.";
    doc["floors_source"] = "KERNELS.md §11 (weights read once per token at ~4.27 TB/s; bf16 = fp32 / 2)";
    doc["quick"] = quick;
    doc["decode_only"] = decode_only;
    Json runs = Json::array();
    for (const std::string& model : models) {
      const corey::model::MambaWeights weights = synthetic(corey::model::config_like(model));
      for (const std::string& dt : dtypes) {
        const DType dtype = corey::dtype_from_string(dt);
        Json run = Json::object();
        run["model"] = model;
        run["dtype"] = std::string(corey::to_string(dtype));
        try {
          cc::CudaModelRunner runner(0, weights, dtype);
          if (rule_overhead) {
            // The routed matrix's prompt length (DEFAULT_PROMPT × 8 in GPT-2 BPE).
            run["rule_overhead"] = rule_overhead_section(runner, 1008, quick ? 5 : 40);
            for (const Json& r : run["rule_overhead"])
              std::printf("%s %s prefill L=1008 %-32s %.4f ms  x%.4f\n", model.c_str(), dt.c_str(),
                          r["row"].get<std::string>().c_str(), r["median_ms"].get<double>(),
                          r["vs_static_512"].get<double>());
            runs.push_back(run);
            continue;
          }
          run["decode"] = decode_section(runner, model, tokens, quick ? 5 : 50);
          const std::vector<std::int64_t> lengths = decode_only               ? std::vector<std::int64_t>{}
                                                    : !prefill_lengths.empty() ? prefill_lengths
                                                    : quick                    ? std::vector<std::int64_t>{128}
                                                                               : std::vector<std::int64_t>{128, 1021, 1024, 4096};
          run["prefill"] = prefill_section(runner, lengths, quick ? 3 : 10);
          std::printf("%s %s: decode median %.1f us (floor %.0f us, x%.2f), back-to-back %.1f us\n", model.c_str(),
                      dt.c_str(), run["decode"]["median_us"].get<double>(), run["decode"]["floor_us"].get<double>(),
                      run["decode"]["ratio_to_floor"].get<double>(),
                      run["decode"]["back_to_back_us_per_token"].get<double>());
          for (const Json& p : run["prefill"])
            std::printf("  prefill L=%lld: %.3f ms, %.0f tok/s\n", p["prompt_tokens"].get<long long>(),
                        p["median_ms"].get<double>(), p["tokens_per_s"].get<double>());
        } catch (const cc::OutOfMemory& e) {
          run["status"] = "oom";
          run["reason"] = e.what();
        }
        runs.push_back(run);
        if (!out_path.empty()) std::ofstream(out_path) << Json{{"partial", true}, {"runs", runs}}.dump(1) << "\n";
      }
    }
    doc["runs"] = runs;
    if (!out_path.empty()) std::ofstream(out_path) << doc.dump(1) << "\n";
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
