// `--devices`: one worker per device in one process. Fake device hooks stand in for two GPUs and hand each
// worker the CPU scan executor, so a kernel-sweep plan runs through the real runner and tier without a GPU.
// The references are the plan itself (every planned point exactly once) and a one-device run of the same
// plan (equal on every field that is not a timing).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "bench/scan_executor.hpp"
#include "catch.hpp"
#include "scratch_dir.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "expect_error.hpp"
#include "experiments/device_hooks.hpp"
#include "experiments/device_pool.hpp"
#include "experiments/runner.hpp"
#include "experiments/spec_loading.hpp"
#include "results/jsonl_stream.hpp"

namespace {

namespace fs = std::filesystem;
using namespace corey;
using namespace corey::experiments;
using corey::testing::expect_error;

constexpr const char* kSpec = R"(schema: corey.spec/1
name: devices_test
experiment: kernel-sweep
params:
  workload: mamba370m
  batch: 1
  d_inner: 8
  seq_len: 256
  d_state: 4
  dtype: fp32
  impl: seq
  policy: static
  threads: 1
sweep:
  product:
    chunk_mode: [inkernel, launch]
    chunk: [16, 32, 64, 128]
  include:
    - {chunk_mode: single, chunk: 0}
    - {chunk_mode: reset, chunk: 64}
    - {chunk_mode: inkernel, policy: corey}
measure:
  mode: [cpu]
  warmup: {runs: 1}
  samples: {min: 3, max: 3}
  stop: {criterion: sample_count, timeout_s: 5}
verify: {reference: fp64, every: all}
order: {mode: sequential}
)";

// One scratch directory for the whole test binary, removed when it exits.
fs::path scratch() {
  static const testing::ScratchDir dir("corey_devices_test_");
  return dir.path();
}

struct Loaded {
  spec::Spec spec;
  spec::Plan plan;
};

Loaded load() {
  const fs::path path = scratch() / "spec.yaml";
  if (!fs::exists(path)) std::ofstream(path) << kSpec;
  Loaded l{load_spec_for(path.string(), {}, "kernel-sweep"), {}};
  l.plan = spec::expand(l.spec);
  return l;
}

// Forwards to the CPU executor; raises SIGINT (as a user's Ctrl-C would) at the n-th timed sample of the run.
class InterruptingExecutor final : public bench::ScanExecutor {
 public:
  InterruptingExecutor(std::unique_ptr<bench::ScanExecutor> inner, std::shared_ptr<std::atomic<int>> samples_left)
      : inner_(std::move(inner)), samples_left_(std::move(samples_left)) {}
  std::string_view impl() const override { return inner_->impl(); }
  std::string_view timer_name() const override { return inner_->timer_name(); }
  std::string_view measure_mode() const override { return inner_->measure_mode(); }
  bool flushes_l2() const override { return inner_->flushes_l2(); }
  void load(bench::ScanInputs& inputs) override { inner_->load(inputs); }
  std::string unsupported_reason(const scan::ChunkConfig& chunk) const override {
    return inner_->unsupported_reason(chunk);
  }
  void set_launch_graph(bool enabled) override { inner_->set_launch_graph(enabled); }
  scan::ChunkReport run(const scan::ChunkConfig& chunk) override { return inner_->run(chunk); }
  bench::ScanOutput output() override { return inner_->output(); }
  double timed_run_s(const scan::ChunkConfig& chunk) override {
    if (samples_left_->fetch_sub(1) == 1) std::raise(SIGINT);
    return inner_->timed_run_s(chunk);
  }
  entropy::ChunkChoice choose_chunk(const entropy::Statistic& statistic, const entropy::ChunkRule& rule) override {
    return inner_->choose_chunk(statistic, rule);
  }
  std::string routed_unsupported_reason() const override { return inner_->routed_unsupported_reason(); }
  Json ceilings() override { return inner_->ceilings(); }
  bench::RoutedTiming timed_routed_run(const entropy::Statistic& statistic, const entropy::ChunkRule& rule,
                                       scan::ChunkReport* report) override {
    return inner_->timed_routed_run(statistic, rule, report);
  }

 private:
  std::unique_ptr<bench::ScanExecutor> inner_;
  std::shared_ptr<std::atomic<int>> samples_left_;
};

// Two fake GPUs. An executor is handed out only once `rendezvous` workers have asked for one, so a run
// with two workers provably measures on both devices at the same time.
class FakeDevices {
 public:
  explicit FakeDevices(int rendezvous, int interrupt_after_samples = 0) : state_(std::make_shared<State>()) {
    state_->rendezvous = rendezvous;
    if (interrupt_after_samples > 0) state_->samples_left = std::make_shared<std::atomic<int>>(interrupt_after_samples);
    DeviceHooks hooks;
    hooks.device_count = [] { return 2; };
    hooks.describe_devices = [] {
      return Json::array({Json{{"index", 0}, {"uuid", "GPU-fake-0"}, {"name", "Fake GPU"}},
                          Json{{"index", 1}, {"uuid", "GPU-fake-1"}, {"name", "Fake GPU"}}});
    };
    hooks.cuda_versions = [] { return Json{{"driver_version", "0.0"}, {"driver_api", 0}, {"runtime", "0.0"}}; };
    hooks.make_scan_executor = [state = state_](int device) -> std::unique_ptr<bench::ScanExecutor> {
      std::unique_lock lock(state->mutex);
      state->asked.push_back(device);
      state->changed.notify_all();
      if (!state->changed.wait_for(lock, std::chrono::seconds(20),
                                   [&] { return static_cast<int>(state->asked.size()) >= state->rendezvous; }))
        throw_usage_error("only one worker asked for an executor");
      auto cpu = bench::make_cpu_scan_executor(1);
      if (state->samples_left) return std::make_unique<InterruptingExecutor>(std::move(cpu), state->samples_left);
      return cpu;
    };
    install_device_hooks(std::move(hooks));
  }
  ~FakeDevices() { install_device_hooks({}); }
  std::vector<int> asked() const {
    std::lock_guard lock(state_->mutex);
    return state_->asked;
  }

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<int> asked;
    int rendezvous = 1;
    std::shared_ptr<std::atomic<int>> samples_left;
  };
  std::shared_ptr<State> state_;
};

RunOptions options_for(const std::string& out, std::vector<int> devices) {
  RunOptions o;
  o.out_dir = (scratch() / out).string();
  o.backend = Backend::cuda;
  o.devices = std::move(devices);
  o.quiet = true;
  return o;
}

Json read_json(const std::string& path) { return Json::parse(read_file(path)); }

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A record without what depends on timing or on the device that measured it.
Json without_timing(Json record) {
  for (const char* key : {"measure", "time_s", "outliers", "throughput", "holdout", "floor", "device", "device_uuid"})
    record.erase(key);
  if (record.contains("metrics") && record["metrics"].contains("entropy")) record["metrics"]["entropy"].erase("time_s");
  return record;
}

std::multiset<std::string> ids_of(const Json& records) {
  std::multiset<std::string> ids;
  for (const auto& r : records) ids.insert(r["point_id"].get<std::string>());
  return ids;
}

std::multiset<std::string> planned_ids(const spec::Plan& plan) {
  std::multiset<std::string> ids;
  for (const auto& p : plan.points) ids.insert(p.id);
  return ids;
}

}  // namespace

TEST_CASE("two devices: every planned point once, on both devices, equal to a one-device run", "[devices]") {
  Loaded l = load();
  REQUIRE(l.plan.points.size() == 11);

  FakeDevices two(2);
  auto tier = make_tier("kernel-sweep");
  const auto outcome = run_experiment(l.spec, l.plan, *tier, options_for("two", {0, 1}));
  REQUIRE(outcome.exit_code == ExitCode::ok);
  CHECK(outcome.signal == 0);
  const std::vector<int> asked = two.asked();
  CHECK(std::set<int>(asked.begin(), asked.end()) == std::set<int>{0, 1});

  const Json file = read_json(outcome.results_path);
  const Json& records = file["results"];
  CHECK(file["run"]["status"] == "complete");
  CHECK(ids_of(records) == planned_ids(l.plan));
  std::multiset<std::string> streamed;
  for (const auto& object : results::read_jsonl(outcome.out_dir + "/results.jsonl").objects)
    streamed.insert(object["point_id"].get<std::string>());
  CHECK(streamed == planned_ids(l.plan));

  std::map<int, int> per_device;
  for (const auto& r : records) {
    CHECK(r["status"] == "ok");
    const int device = r["device"].get<int>();
    ++per_device[device];
    CHECK(r["device_uuid"] == "GPU-fake-" + std::to_string(device));
  }
  CHECK(per_device.size() == 2);
  CHECK(file["run"]["devices"] == Json::array({0, 1}));
  const Json& workers = file["run"]["workers"];
  REQUIRE(workers.size() == 2);
  for (int w = 0; w < 2; ++w) {
    CHECK(workers[w]["device"] == w);
    CHECK(workers[w]["uuid"] == "GPU-fake-" + std::to_string(w));
    CHECK(workers[w]["points_measured"] == per_device[w]);
    CHECK(workers[w]["wall_s"].get<double>() <= file["run"]["wall_s"].get<double>());
  }

  FakeDevices one(1);
  auto single_tier = make_tier("kernel-sweep");
  const auto single = run_experiment(l.spec, l.plan, *single_tier, options_for("one", {0}));
  REQUIRE(single.exit_code == ExitCode::ok);
  const Json single_file = read_json(single.results_path);
  CHECK(single_file["run"]["devices"] == Json::array({0}));
  REQUIRE(single_file["results"].size() == records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    CAPTURE(records[i]["point_id"]);
    CHECK(without_timing(records[i]) == without_timing(single_file["results"][i]));
  }
}

TEST_CASE("two devices: --resume after a crash keeps the finished points and measures only the rest", "[devices]") {
  Loaded l = load();
  const std::size_t n = l.plan.points.size();
  std::string complete_jsonl;
  {
    FakeDevices two(2);
    auto tier = make_tier("kernel-sweep");
    complete_jsonl = run_experiment(l.spec, l.plan, *tier, options_for("whole", {0, 1})).out_dir + "/results.jsonl";
  }
  // The crash: four records made it to disk, the fifth was cut off mid-line.
  const auto whole = lines_of(complete_jsonl);
  REQUIRE(whole.size() == n);
  const fs::path crashed = scratch() / "crashed";
  fs::create_directories(crashed);
  {
    std::ofstream out(crashed / "results.jsonl");
    for (std::size_t i = 0; i < 4; ++i) out << whole[i] << "\n";
    out << whole[4].substr(0, whole[4].size() / 2);
  }

  FakeDevices two(2);
  auto tier = make_tier("kernel-sweep");
  RunOptions options = options_for("crashed", {0, 1});
  options.resume = true;
  const auto outcome = run_experiment(l.spec, l.plan, *tier, options);
  REQUIRE(outcome.exit_code == ExitCode::ok);

  const auto lines = lines_of(outcome.out_dir + "/results.jsonl");
  REQUIRE(lines.size() == n);
  for (std::size_t i = 0; i < 4; ++i) CHECK(lines[i] == whole[i]);  // kept byte for byte, not re-measured
  const auto stream = results::read_jsonl(outcome.out_dir + "/results.jsonl");
  CHECK_FALSE(stream.truncated_tail);
  std::multiset<std::string> streamed;
  for (const auto& object : stream.objects) streamed.insert(object["point_id"].get<std::string>());
  CHECK(streamed == planned_ids(l.plan));

  const Json file = read_json(outcome.results_path);
  CHECK(file["run"]["status"] == "complete");
  CHECK(ids_of(file["results"]) == planned_ids(l.plan));
  std::size_t measured = 0;
  for (const auto& w : file["run"]["workers"]) measured += w["points_measured"].get<std::size_t>();
  CHECK(measured == n - 4);
}

TEST_CASE("two devices: SIGINT stops every worker and leaves a partial file that covers the stream", "[devices]") {
  Loaded l = load();
  const std::size_t n = l.plan.points.size();
  // Warm-up 1 + 3 samples per point: the interrupt lands in the third or so point.
  FakeDevices two(2, 10);
  auto tier = make_tier("kernel-sweep");
  const auto outcome = run_experiment(l.spec, l.plan, *tier, options_for("interrupted", {0, 1}));
  CHECK(outcome.signal == SIGINT);
  const Json file = read_json(outcome.results_path);
  const auto stream = results::read_jsonl(outcome.out_dir + "/results.jsonl");
  CHECK(file["run"]["status"] == "partial");
  CHECK(file["results"].size() == stream.objects.size());
  CHECK(file["results"].size() < n);
  CHECK(file["results"].size() + file["run"]["missing"].size() == n);
  std::multiset<std::string> covered = ids_of(file["results"]);
  for (const auto& id : file["run"]["missing"]) covered.insert(id.get<std::string>());
  CHECK(covered == planned_ids(l.plan));
}

TEST_CASE("--devices usage errors come before any file is written", "[devices]") {
  Loaded l = load();
  FakeDevices two(2);
  auto tier = make_tier("kernel-sweep");
  auto refused = [&](const std::string& out, std::vector<int> devices, const std::vector<std::string>& fragments,
                     Backend backend = Backend::cuda) {
    RunOptions options = options_for(out, std::move(devices));
    options.backend = backend;
    expect_error([&] { run_experiment(l.spec, l.plan, *tier, options); }, ErrorKind::usage, fragments);
    CHECK_FALSE(fs::exists(options.out_dir));
  };
  refused("range", {0, 2}, {"device 2 is out of range", "2 devices are visible"});
  refused("twice", {1, 1}, {"device 1 is listed twice"});
  refused("cpu", {0}, {"--devices selects CUDA devices"}, Backend::cpu);

  // A study whose rows must share one device (routed tiers) refuses a second one.
  class SharedDeviceTier final : public Tier {
   public:
    std::string_view name() const override { return "shared-device"; }
    const spec::ParamSchema& param_schema() const override { return schema_; }
    void validate(const spec::Spec&, const spec::Plan&) const override {}
    results::Record run(const spec::Point&, RunContext&) override { return {}; }
    bool points_independent() const override { return false; }
    std::vector<results::Table> summarize(const spec::Spec&, const std::vector<results::Record>&) const override {
      return {};
    }

   private:
    spec::ParamSchema schema_;
  };
  SharedDeviceTier shared;
  RunOptions options = options_for("shared", {0, 1});
  expect_error([&] { run_experiment(l.spec, l.plan, shared, options); }, ErrorKind::usage,
               {"'shared-device' must share one process and one device", "give one device, not 2"});
  CHECK_FALSE(fs::exists(options.out_dir));
}

TEST_CASE("--devices text", "[devices]") {
  CHECK(parse_devices("all", 3) == std::vector<int>{0, 1, 2});
  CHECK(parse_devices("1,0", 2) == std::vector<int>{1, 0});
  CHECK(parse_devices("0", 1) == std::vector<int>{0});
  for (const char* bad : {"", "0,", ",1", "0;1", "-1", "one", "0,,1"})
    expect_error([&] { parse_devices(bad, 2); }, ErrorKind::usage, {"expected all or a comma list"});
  expect_error([] { parse_devices("0,3", 2); }, ErrorKind::usage, {"device 3 is out of range"});
  expect_error([] { parse_devices("all", 0); }, ErrorKind::usage, {"0 devices are visible"});
}
