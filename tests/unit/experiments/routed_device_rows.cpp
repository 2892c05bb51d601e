// device_<row> scheduler rows on the CPU runner: the backend evaluates the statistic, rule and guard itself,
// and every layer's chunk and entropy must equal what the host row (CpuStats in the hook plus the sched
// scheduler, an independent path) chose on the same prompt; host syncs are counted per prefill (F7); a
// backend that ignores the rule fails the point.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catch.hpp"
#include "core/error.hpp"
#include "entropy/cpu_stats.hpp"
#include "experiments/routed_device_rule.hpp"
#include "experiments/routed_matrix.hpp"
#include "model/checkpoint.hpp"
#include "model/cpu_model_runner.hpp"
#include "routed_test_fixtures.hpp"

using namespace corey;
using namespace corey::experiments;

namespace {

MatrixConfig config_for(std::vector<std::string> rows) {
  MatrixConfig c = test::tiny_matrix_config(std::move(rows), 512, 2);
  c.scheduler.h_ref = 6.0;  // the tiny model's two layers (H 4.11 and 4.45 nats) then pick 256 and 512
  c.scheduler.table = sched::LearnedTable::parse(
      Json::parse(R"({"default_chunk": 64, "rules": [{"max_seq_len": 50, "chunk": 16}]})"), "test table", 32);
  c.new_tokens = 2;
  c.bootstrap.resamples = 200;
  return c;
}

// One prefill as the runner saw it: how it was scheduled and what every layer's scan did.
struct Prefill {
  bool backend_rule = false;
  bool hook = false;
  std::int64_t chunk = 0;
  std::vector<std::int64_t> chunks;
  std::vector<std::optional<double>> entropies;
};

// Records every prefill. With `drop_rule` the backend rule is ignored (a backend without rule support); with
// `on_device` it poses as a device backend whose hook sees its activation flagged as device memory.
class RecordingRunner final : public model::ModelRunner {
 public:
  explicit RecordingRunner(model::ModelRunner& inner) : inner_(inner) {}
  std::string_view backend() const override { return on_device ? "device" : inner_.backend(); }
  const model::MambaConfig& config() const override { return inner_.config(); }
  model::PrefillResult prefill(std::span<const std::int32_t> ids, const model::PrefillOptions& options) override {
    model::PrefillOptions seen = options;
    if (drop_rule) seen.backend_rule.reset();
    if (on_device && options.hook) {
      seen.hook = [hook = options.hook](const model::LayerActivation& a) {
        model::LayerActivation device = a;
        device.on_device = true;
        return hook(device);
      };
    }
    model::PrefillResult r = inner_.prefill(ids, seen);
    Prefill p{options.backend_rule.has_value(), static_cast<bool>(options.hook), options.chunk, {}, {}};
    for (const auto& s : r.scans) {
      p.chunks.push_back(s.chunk_requested);
      p.entropies.push_back(s.entropy);
    }
    prefills.push_back(p);
    return r;
  }
  std::vector<float> decode_step(std::int32_t id) override { return inner_.decode_step(id); }
  void reset() override { inner_.reset(); }

  bool drop_rule = false;
  bool on_device = false;
  std::vector<Prefill> prefills;

 private:
  model::ModelRunner& inner_;
};

// A device StatsOp stand-in: host memory, but every estimate counts as one value read back.
class CountingStats final : public entropy::StatsOp {
 public:
  std::string_view backend() const override { return "counting"; }
  entropy::EntropyValue estimate(const entropy::ActivationView& x, const entropy::Statistic& s) override {
    ++calls;
    return cpu.estimate(x, s);
  }
  entropy::ChunkChoice choose_chunk(const entropy::ActivationView& x, const entropy::Statistic& s,
                                    const entropy::ChunkRule& rule) override {
    return cpu.choose_chunk(x, s, rule);
  }
  void choose_chunk_into(const entropy::ActivationView& x, const entropy::Statistic& s, const entropy::ChunkRule& rule,
                         float* entropy_out, std::int32_t* chunk_out) override {
    cpu.choose_chunk_into(x, s, rule, entropy_out, chunk_out);
  }
  entropy::CpuStats cpu;
  int calls = 0;
};

const Json& row_of(const MatrixOutcome& out, const std::string& name) {
  for (const Json& r : out.metrics["rows"]) {
    if (r["row"] == name) return r;
  }
  FAIL("no row " << name);
  return out.metrics;
}

}  // namespace

TEST_CASE("device rows: the backend's per-layer chunks and entropies equal the host row's", "[routed][device]") {
  model::CpuModelRunner inner(model::load_weights(test::kTinyCheckpoint), 1);
  const auto prompt = test::tiny_prompt_ids(120);
  const std::int64_t layers = inner.config().n_layer;
  for (const std::string host : {"hist", "sampled_hist_s4", "token_hist_s4", "guarded_hist", "guarded_sampled_hist_s4",
                                 "cheap_proxy", "variance_proxy", "kurtosis_proxy", "seqlen_table"}) {
    CAPTURE(host);
    RecordingRunner runner(inner);
    MatrixConfig config = config_for({host, "device_" + host});
    config.conditions = {Condition::routed};
    const MatrixOutcome out = run_matrix(runner, prompt, config);
    CHECK_FALSE(out.not_honoured);
    CHECK_FALSE(out.not_equivalent);
    // Equivalence pass (passive, host, device) and 3 rounds of both cells: 4 prefills of each row.
    std::vector<Prefill> by_host, by_device;
    for (const Prefill& p : runner.prefills) {
      if (p.hook) by_host.push_back(p);
      if (p.backend_rule || p.chunk > 0) by_device.push_back(p);
    }
    REQUIRE(by_host.size() == 4);
    REQUIRE(by_device.size() == 4);
    for (const Prefill& d : by_device) {
      CHECK_FALSE(d.hook);
      CHECK(d.backend_rule == (host != "seqlen_table"));
      REQUIRE(d.chunks.size() == static_cast<std::size_t>(layers));
      CHECK(d.chunks == by_host[0].chunks);
      if (host == "seqlen_table") {
        CHECK(d.chunk == 64);  // one host decision from the known seq_len, no per-layer call
        continue;
      }
      for (const auto& e : d.entropies) CHECK(e.has_value());
    }
    const Json& h = row_of(out, host);
    const Json& d = row_of(out, "device_" + host);
    INFO(h["decisions"].dump());
    CHECK(d["decisions"]["histogram"] == h["decisions"]["histogram"]);
    // The host row's hook estimated the same statistic of the same u with CpuStats (2 layers: min and max
    // are both layers' values).
    CHECK(d["decisions"]["entropy"] == h["decisions"]["entropy"]);
    CHECK(d["decisions"]["decisions"] == 2 * layers);
    CHECK(d["device_row_of"] == host);
    CHECK(d["stats_on"] == (host == "seqlen_table" ? "none" : "backend"));
    CHECK(d["host_syncs_per_forward"] == 0);
    if (host != "seqlen_table") CHECK(d["decisions"]["rule_mismatches"] == 0);
    if (host == "hist") CHECK(h["decisions"]["histogram"] == Json{{"256", 2}, {"512", 2}});
  }
}

TEST_CASE("device rows active-only: the rule is evaluated, the scan runs the whole prompt", "[routed][device]") {
  model::CpuModelRunner inner(model::load_weights(test::kTinyCheckpoint), 1);
  RecordingRunner runner(inner);
  const auto prompt = test::tiny_prompt_ids(120);
  MatrixConfig config = config_for({"device_hist", "device_guarded_hist"});
  config.conditions = {Condition::active_only};
  const MatrixOutcome out = run_matrix(runner, prompt, config);
  CHECK_FALSE(out.not_honoured);
  for (const Prefill& p : runner.prefills) {
    for (std::int64_t q : p.chunks) CHECK(q == 120);
    if (p.backend_rule) {
      for (const auto& e : p.entropies) CHECK(e.has_value());
    }
  }
  // The decisions come from the host rule applied to the backend's entropies: as routed chose them above.
  CHECK(row_of(out, "device_hist")["decisions"]["histogram"] == Json{{"256", 2}, {"512", 2}});
  CHECK(row_of(out, "device_hist")["decisions"]["condition"] == "active_only");
  // Guard fallback 32: 256 and 512 are >= 2 buckets away and pass.
  CHECK(row_of(out, "device_guarded_hist")["decisions"]["histogram"] == Json{{"256", 2}, {"512", 2}});
}

TEST_CASE("host syncs: a host statistic of device-memory u costs one per layer, device rows none", "[routed][device]") {
  model::CpuModelRunner inner(model::load_weights(test::kTinyCheckpoint), 1);
  RecordingRunner runner(inner);
  runner.on_device = true;
  CountingStats device_stats;
  const auto prompt = test::tiny_prompt_ids(120);
  const std::int64_t layers = inner.config().n_layer;
  MatrixConfig config = config_for({"static_chunk_32", "sampled_hist_s4", "device_sampled_hist_s4", "seqlen_table"});
  config.device_stats = &device_stats;
  const MatrixOutcome out = run_matrix(runner, prompt, config);
  CHECK_FALSE(out.not_honoured);
  CHECK(device_stats.calls > 0);
  const Json& host = row_of(out, "sampled_hist_s4");
  CHECK(host["host_syncs_per_forward"] == layers);
  CHECK(host["conditions"]["active_only"]["host_syncs_per_prefill"] == layers);
  CHECK(host["inherits_flaws"] == Json::array({"F7"}));
  CHECK(host["stats_on"] == "host");
  for (const std::string row : {"static_chunk_32", "device_sampled_hist_s4", "seqlen_table"}) {
    CAPTURE(row);
    CHECK(row_of(out, row)["host_syncs_per_forward"] == 0);
    CHECK_FALSE(row_of(out, row).contains("inherits_flaws"));
  }
  CHECK(out.metrics["host_syncs_per_forward"] == layers);
  CHECK(out.metrics["passive"]["host_syncs_per_prefill"] == 0);
  // Same decisions whether the statistic ran on the "device" op or on the backend.
  CHECK(host["decisions"]["histogram"] == row_of(out, "device_sampled_hist_s4")["decisions"]["histogram"]);

  config.device_stats = nullptr;
  try {
    run_matrix(runner, prompt, config);
    FAIL("a host statistic of device memory ran without a device statistics op");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("sampled_hist_s4") != std::string::npos);
    CHECK(std::string(e.what()).find("device memory") != std::string::npos);
  }
}

TEST_CASE("a backend that ignores the backend rule fails the point", "[routed][device][honoured]") {
  model::CpuModelRunner inner(model::load_weights(test::kTinyCheckpoint), 1);
  RecordingRunner runner(inner);
  runner.drop_rule = true;
  const MatrixOutcome out = run_matrix(runner, test::tiny_prompt_ids(120), config_for({"static_chunk_32", "device_hist"}));
  REQUIRE(out.not_honoured);
  CHECK(out.not_honoured->find("device_hist") != std::string::npos);
  CHECK(out.not_honoured->find("reported no statistic") != std::string::npos);
  CHECK(out.chunk_report["honoured"] == false);
}

TEST_CASE("device row names: rule rows and seqlen_table only", "[routed][device]") {
  const MatrixConfig c = config_for({});
  const DeviceRow d = make_device_row("device_guarded_sampled_hist_s8", c.scheduler);
  CHECK(d.host_row == "guarded_sampled_hist_s8");
  REQUIRE(d.backend);
  CHECK(d.backend->statistic.estimator == entropy::Estimator::hist);
  CHECK(d.backend->statistic.stride == 8);
  CHECK(d.backend->statistic.bins == 256);
  CHECK(d.backend->rule.h_ref == 6.0);
  CHECK(d.backend->rule.c_min == 16);
  CHECK(d.backend->rule.c_max == 512);
  CHECK(d.backend->guard_fallback == 32);
  CHECK(d.backend->guard_min_delta_buckets == 2);
  // PAPER.md §2.3 by hand, H_ref 6: H = 0 -> raw 16 -> 16, which the guard (|4 - 5| < 2) turns into 32;
  // H = 6 -> raw 512 -> 512 (|9 - 5| >= 2, kept); H = 3 -> raw 264 -> 2^8 = 256 (kept).
  CHECK(d.decide_from_entropy(0.0) == 32);
  CHECK(d.decide_from_entropy(6.0) == 512);
  CHECK(d.decide_from_entropy(3.0) == 256);
  const model::BackendChunkRule observe = observe_only(*d.backend, 120);
  CHECK(observe.guard_fallback == 120);
  CHECK(observe.rule.c_max == 512);
  CHECK_FALSE(make_device_row("device_seqlen_table", c.scheduler).backend);
  CHECK(make_device_row("device_kurtosis_proxy", c.scheduler).backend->statistic.estimator ==
        entropy::Estimator::kurtosis_proxy);
  for (const char* bad : {"device_static_chunk_64", "device_random_seed_0", "device_no_entropy_mid",
                          "device_learned_table", "device_bogus", "hist"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(make_device_row(bad, c.scheduler), Error);
  }
}
