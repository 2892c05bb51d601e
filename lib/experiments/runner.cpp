#include "experiments/runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "core/atomic_file.hpp"
#include "core/sha256.hpp"
#include "experiments/device_hooks.hpp"
#include "experiments/device_pool.hpp"
#include "experiments/environment.hpp"
#include "experiments/yaml_emit.hpp"
#include "results/jsonl_stream.hpp"
#include "results/render.hpp"
#include "results/results_file.hpp"

namespace corey::experiments {

namespace {

std::atomic<bool> g_cancel{false};
std::atomic<int> g_signal{0};

void on_signal(int sig) {
  g_signal.store(sig);
  g_cancel.store(true);
}

// Restores the previous handlers when the run ends, so library users are not left with ours.
class SignalGuard {
 public:
  SignalGuard() {
    g_cancel.store(false);
    g_signal.store(0);
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~SignalGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string make_run_id() {
  if (const char* job = std::getenv("SLURM_ARRAY_JOB_ID")) return job;
  std::random_device entropy;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%06x", entropy() & 0xffffffu);
  return utc_now() + "-" + suffix;
}

// With --resume and an output pattern that contains ${run_id}, the newest existing run of this spec is the
// one to continue (outside Slurm a fresh run id would never match).
std::string resolve_out_dir(const spec::Spec& spec, const RunOptions& options, const std::string& run_id) {
  std::string pattern = options.out_dir;
  if (pattern.empty()) pattern = spec.output.value("dir", std::string("runs/${name}/${run_id}"));
  std::map<std::string, std::string> vars{{"name", spec.name}, {"spec_hash", spec.hash().substr(0, 12)}};
  if (options.resume && pattern.find("${run_id}") != std::string::npos && !std::getenv("SLURM_ARRAY_JOB_ID")) {
    vars["run_id"] = "";
    const std::filesystem::path parent = std::filesystem::path(spec::interpolate(pattern, vars)).parent_path();
    std::string newest;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(parent, ec))
      if (entry.is_directory() && entry.path().filename().string() > newest) newest = entry.path().filename().string();
    if (newest.empty())
      throw_usage_error("--resume: no earlier run of '" + spec.name + "' under " + parent.string() + "; give --out DIR");
    vars["run_id"] = newest;
  } else {
    vars["run_id"] = run_id;
  }
  return spec::interpolate(pattern, vars);
}

std::vector<std::size_t> execution_order(std::vector<std::size_t> mine, ExecutionOrder order, std::uint64_t seed) {
  if (order == ExecutionOrder::random) {
    // Fisher–Yates on raw 64-bit draws (std::shuffle's result differs between standard libraries).
    std::mt19937_64 rng(seed);
    for (std::size_t i = mine.size(); i > 1; --i) {
      const std::uint64_t bound = i;
      const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
      std::uint64_t r;
      do r = rng(); while (r >= limit);
      std::swap(mine[i - 1], mine[r % bound]);
    }
  }
  return mine;
}

class Progress {
 public:
  Progress(std::size_t total, bool enabled) : total_(total), enabled_(enabled && ::isatty(STDERR_FILENO)) {}
  void update(std::size_t done, const std::string& point_id) {
    if (!enabled_) return;
    const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double eta_s = done > 0 ? elapsed_s / static_cast<double>(done) * static_cast<double>(total_ - done) : 0.0;
    std::fprintf(stderr, "\r\033[K[%zu/%zu] %3.0f%%  ETA %02d:%02d  %s", done, total_,
                 total_ ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0,
                 static_cast<int>(eta_s) / 60, static_cast<int>(eta_s) % 60, point_id.c_str());
    std::fflush(stderr);
  }
  void finish() {
    if (enabled_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  std::size_t total_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// One worker thread of a run: its device, its own tier instance (tiers keep per-device state such as
// executors and buffers) and what it did.
struct Worker {
  int device = -1;
  std::string uuid;  // from describe_devices(); empty on the host
  std::string name;
  std::unique_ptr<Tier> owned;
  Tier* tier = nullptr;
  std::size_t points_measured = 0;
  double busy_s = 0.0;
  double wall_s = 0.0;
};

std::vector<Worker> make_workers(const spec::Spec& spec, Tier& tier, const RunOptions& options, const Json& env,
                                 const TierFactory& make_worker_tier) {
  std::vector<int> devices = options.devices;
  if (devices.empty()) {
    devices.push_back(options.backend == Backend::cuda ? 0 : -1);
  } else {
    if (options.backend != Backend::cuda)
      throw_usage_error("--devices selects CUDA devices, but the backend is cpu: use --backend cuda or drop --devices");
    check_devices_allowed(tier, devices.size());
    check_devices(devices, cuda_device_count(), "--devices");
  }
  std::vector<Worker> workers(devices.size());
  for (std::size_t w = 0; w < devices.size(); ++w) {
    Worker& worker = workers[w];
    worker.device = devices[w];
    const Json described = worker.device >= 0 ? describe_device(env["devices"], worker.device) : Json(nullptr);
    if (described.is_object() && described.contains("uuid") && described["uuid"].is_string())
      worker.uuid = described["uuid"].get<std::string>();
    if (described.is_object() && described.contains("name") && described["name"].is_string())
      worker.name = described["name"].get<std::string>();
    if (w == 0) {
      worker.tier = &tier;
      continue;
    }
    worker.owned = make_worker_tier ? make_worker_tier() : make_tier(spec.experiment);
    if (!worker.owned) throw_usage_error("no tier for experiment '" + spec.experiment + "'");
    worker.tier = worker.owned.get();
  }
  return workers;
}

Json worker_json(std::size_t index, const Worker& worker) {
  Json j;
  j["worker"] = index;
  j["device"] = worker.device >= 0 ? Json(worker.device) : Json(nullptr);
  j["uuid"] = worker.uuid.empty() ? Json(nullptr) : Json(worker.uuid);
  j["name"] = worker.name.empty() ? Json(nullptr) : Json(worker.name);
  j["points_measured"] = worker.points_measured;
  j["busy_s"] = worker.busy_s;
  j["wall_s"] = worker.wall_s;
  return j;
}

// A crash mid-append leaves an unterminated last line; appending after it would glue the next record onto
// it, so the stream is cut back to its last complete line first.
void drop_partial_line(const std::string& jsonl_path) {
  const std::string text = read_file(jsonl_path);
  const std::size_t last_newline = text.rfind('\n');
  std::filesystem::resize_file(jsonl_path, last_newline == std::string::npos ? 0 : last_newline + 1);
}

// Writes a point's emitted files, each atomically, and lists them. What an earlier attempt at the point left
// is removed first, so the point's directory holds exactly the files its record lists.
std::vector<results::Artifact> write_artifacts(const std::string& out_dir, const std::string& point_id,
                                               const std::vector<EmittedArtifact>& emitted) {
  const std::string dir = out_dir + "/" + results::artifact_dir(point_id);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) throw_io_error("cannot clear " + dir + ": " + ec.message());
  std::vector<results::Artifact> listed;
  for (const EmittedArtifact& e : emitted) {
    const std::string file = results::artifact_file(point_id, e.name);
    write_file_atomic(out_dir + "/" + file, e.bytes);
    listed.push_back({e.name, file, e.bytes.size(), sha256_hex(e.bytes)});
  }
  return listed;
}

// Why a finished record cannot be kept on resume because of its artifacts; empty when every listed file is
// where the runner put it, byte for byte.
std::string artifact_problem(const std::string& out_dir, const results::Record& record) {
  for (const results::Artifact& a : record.artifacts) {
    try {
      results::check_artifact_name(a.name);
    } catch (const Error& e) {
      return e.message();
    }
    if (a.file != results::artifact_file(record.point_id, a.name))
      return "artifact " + a.name + " is listed at " + a.file;
    const std::string path = out_dir + "/" + a.file;
    if (!std::filesystem::is_regular_file(path)) return "artifact " + a.file + " is missing";
    if (sha256_file_hex(path) != a.sha256) return "artifact " + a.file + " differs from its listed SHA-256";
  }
  return {};
}

results::Record run_one(Tier& tier, const spec::Point& point, RunContext& ctx) {
  results::Record record;
  try {
    record = tier.run(point, ctx);
  } catch (const Error& e) {
    record.status = e.kind() == ErrorKind::spec            ? results::Status::invalid
                    : e.kind() == ErrorKind::out_of_memory ? results::Status::oom
                                                           : results::Status::failed;
    record.reason = e.what();
  } catch (const std::bad_alloc&) {
    record.status = results::Status::oom;
    record.reason = "out of host memory";
  } catch (const std::exception& e) {
    record.status = results::Status::failed;
    record.reason = e.what();
  }
  record.point_id = point.id;
  record.index = point.index;
  record.params = point.params;
  if (record.status != results::Status::ok && !record.reason) record.reason = "no reason given";
  return record;
}

}  // namespace

ExecutionOrder execution_order_from_string(const std::string& text) {
  if (text == "sequential") return ExecutionOrder::sequential;
  if (text == "interleaved") return ExecutionOrder::interleaved;
  if (text == "random") return ExecutionOrder::random;
  throw_usage_error("unknown order '" + text + "' (sequential, interleaved or random)");
}

std::string to_string(ExecutionOrder order) {
  switch (order) {
    case ExecutionOrder::sequential: return "sequential";
    case ExecutionOrder::interleaved: return "interleaved";
    case ExecutionOrder::random: return "random";
  }
  return "sequential";
}

RunOutcome run_experiment(const spec::Spec& spec, const spec::Plan& plan, Tier& tier, const RunOptions& options,
                          const TierFactory& make_worker_tier) {
  const auto wall_start = std::chrono::steady_clock::now();
  const std::string started_at = utc_now();
  const ExecutionOrder order = options.order ? *options.order
                                             : execution_order_from_string(spec.order.value("mode", std::string("sequential")));
  const std::uint64_t seed = options.seed ? *options.seed : spec.order.value("seed", std::uint64_t{0});
  if (order == ExecutionOrder::interleaved)
    throw_usage_error("--order interleaved runs rows in rounds inside one point; '" + std::string(tier.name()) +
                      "' measures each point in one go: use sequential or random");

  const Json env = environment_block(options.backend == Backend::cpu && tier.name() != "costmodel");
  const Json fingerprint = Json{{"spec_sha256", spec.hash()}, {"env", environment_fingerprint(env)}};
  std::vector<Worker> workers = make_workers(spec, tier, options, env, make_worker_tier);
  const std::string run_id = make_run_id();
  const std::string out_dir = resolve_out_dir(spec, options, run_id);
  const std::string stem = shard_file_stem(options.shard.index, options.shard.count);
  const std::string jsonl_path = out_dir + "/" + stem + ".jsonl";
  const std::string results_path = out_dir + "/" + stem + ".json";

  std::vector<double> costs;
  for (const auto& point : plan.points) costs.push_back(tier.predicted_cost(point));
  const auto mine = assign_shard(plan.points.size(), options.shard.index, options.shard.count, options.strategy, costs);

  // Resume: keep finished `ok` records measured with the same spec on the same build and device.
  std::map<std::size_t, results::Record> finished;
  const auto previous = results::read_jsonl(jsonl_path);
  if (!previous.objects.empty() && !options.resume)
    throw_usage_error(jsonl_path + " already holds results; use --resume to continue that run or --out for a new one");
  if (previous.truncated_tail) {
    if (!options.quiet)
      std::fprintf(stderr, "corey: warning: %s ends in a partly written line (a crash); it is dropped\n", jsonl_path.c_str());
    drop_partial_line(jsonl_path);
  }
  std::map<std::string, std::size_t> index_of;
  for (const auto& p : plan.points) index_of[p.id] = p.index;
  for (const auto& object : previous.objects) {
    auto record = results::Record::from_json(object);
    const auto it = index_of.find(record.point_id);
    if (it == index_of.end() || record.status != results::Status::ok) continue;
    if (record.fields.value("fingerprint", Json()) != fingerprint) {
      if (!options.quiet)
        std::fprintf(stderr, "corey: point %s was measured with another spec, build or device; measuring it again\n",
                     record.point_id.c_str());
      continue;
    }
    if (const std::string problem = artifact_problem(out_dir, record); !problem.empty()) {
      if (!options.quiet)
        std::fprintf(stderr, "corey: point %s: %s; measuring it again\n", record.point_id.c_str(), problem.c_str());
      continue;
    }
    finished[it->second] = std::move(record);
  }

  make_directories(out_dir);
  write_file_atomic(out_dir + "/resolved_spec.yaml", to_yaml(spec.resolved));
  results::JsonlWriter stream(jsonl_path);

  SignalGuard signals;
  WorkQueue queue(execution_order(mine, order, seed));
  Progress progress(mine.size(), !options.quiet);
  std::mutex mutex;  // guards the stream, `finished`, `done` and the progress line
  std::size_t done = 0;
  run_workers(
      workers.size(),
      [&](std::size_t w) {
        Worker& worker = workers[w];
        const auto worker_start = std::chrono::steady_clock::now();
        RunContext ctx{spec, options.backend, worker.device, &g_cancel};
        while (!g_cancel.load()) {
          const auto next = queue.next();
          if (!next) break;
          const auto& point = plan.points[*next];
          {
            std::lock_guard lock(mutex);
            if (finished.count(*next) != 0) {
              ++done;
              continue;
            }
            progress.update(done, point.id);
          }
          const auto point_start = std::chrono::steady_clock::now();
          ctx.artifacts.clear();
          auto record = run_one(*worker.tier, point, ctx);
          worker.busy_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - point_start).count();
          if (g_cancel.load() && record.status != results::Status::ok) break;  // abandoned mid-point: not a result
          // Before the record is streamed: a streamed record's files always exist.
          record.artifacts = write_artifacts(out_dir, point.id, ctx.artifacts);
          if (worker.device >= 0) {
            record.device = worker.device;
            if (!worker.uuid.empty()) record.fields["device_uuid"] = worker.uuid;
          }
          record.fields["fingerprint"] = fingerprint;
          std::lock_guard lock(mutex);
          stream.append(record.to_json());
          finished[*next] = std::move(record);
          ++worker.points_measured;
          ++done;
        }
        worker.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - worker_start).count();
      },
      [] { g_cancel.store(true); });
  progress.finish();

  results::ResultsFile file;
  for (auto& [index, record] : finished) file.records.push_back(record);
  std::set<std::size_t> present;
  for (const auto& [index, record] : finished) present.insert(index);
  Json missing = Json::array();
  for (std::size_t index : mine)
    if (!present.count(index)) missing.push_back(plan.points[index].id);

  Json plan_ids = Json::array();
  for (std::size_t index : mine) plan_ids.push_back(plan.points[index].id);
  Json skipped = Json::array();
  for (const auto& s : plan.skipped) skipped.push_back(Json{{"point_id", s.id}, {"params", s.params}, {"reason", s.reason}});
  Json run;
  run["run_id"] = std::filesystem::path(out_dir).filename().string();
  run["experiment"] = spec.experiment;
  run["name"] = spec.name;
  run["argv"] = options.argv;
  run["spec_path"] = spec.path;
  run["spec_sha256"] = spec.hash();
  run["overrides"] = spec.overrides;
  run["resolved_spec"] = spec.resolved;
  run["started_at"] = started_at;
  run["status"] = missing.empty() ? "complete" : "partial";
  if (!missing.empty()) run["missing"] = missing;
  Json all_ids = Json::array();
  for (const auto& p : plan.points) all_ids.push_back(p.id);
  run["planned"] = all_ids;
  run["shard"] = Json{{"index", options.shard.index}, {"count", options.shard.count},
                      {"strategy", to_string(options.strategy)}, {"planned_points", plan.points.size()},
                      {"source", options.shard.source}, {"slurm", options.shard.slurm}, {"plan", plan_ids}};
  run["order"] = Json{{"mode", to_string(order)}, {"seed", seed}};
  run["backend"] = options.backend == Backend::cuda ? "cuda" : "cpu";
  Json devices = Json::array();
  Json worker_list = Json::array();
  for (std::size_t w = 0; w < workers.size(); ++w) {
    if (workers[w].device >= 0) devices.push_back(workers[w].device);
    worker_list.push_back(worker_json(w, workers[w]));
  }
  run["devices"] = devices;
  run["workers"] = worker_list;
  run["skipped"] = skipped;
  file.run = run;
  file.env = env;
  if (workers.size() > 1)
    file.env["warnings"].push_back(std::to_string(workers.size()) +
                                   " devices measured concurrently by one process (they share the host CPU)");
  file.tables = tier.summarize(spec, file.records);
  file.run["finished_at"] = utc_now();
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  file.run["wall_s"] = wall_s;

  write_file_atomic(results_path, file.to_json(wall_s).dump() + "\n");
  const std::string caption = "run " + file.run["run_id"].get<std::string>() + ", spec " + spec.hash().substr(0, 12);
  for (const auto& format : options.formats) {
    for (const auto& table : file.tables) {
      if (format == "csv") write_file_atomic(out_dir + "/tables/" + table.name + ".csv", results::render_csv(table));
      if (format == "md") write_file_atomic(out_dir + "/tables/" + table.name + ".md", results::render_markdown(table, caption));
    }
  }

  RunOutcome outcome;
  outcome.results_path = results_path;
  outcome.out_dir = out_dir;
  outcome.signal = g_signal.load();
  const bool any_failed = std::any_of(file.records.begin(), file.records.end(), [](const results::Record& r) {
    return r.status != results::Status::ok && r.status != results::Status::skipped;
  });
  outcome.exit_code = any_failed && !options.allow_failures ? ExitCode::failed_points : ExitCode::ok;
  return outcome;
}

}  // namespace corey::experiments
