// The four experiment subcommands: one runner, a different tier each (ARCHITECTURE.md §1).
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "experiments/device_hooks.hpp"
#include "experiments/device_pool.hpp"
#include "experiments/runner.hpp"
#include "experiments/spec_loading.hpp"
#include "plan_printing.hpp"

namespace corey::app {

namespace {

struct ExperimentArgs {
  std::string spec_path;
  std::vector<std::string> sets;
  std::string out_dir;
  bool dry_run = false;
  bool json = false;
  int shard_index = -1;
  int shard_count = -1;
  std::string shard_strategy = "round_robin";
  bool resume = false;
  std::string order;
  std::string seed;
  std::string backend = "auto";
  std::string devices;
  std::vector<std::string> formats;
  std::vector<std::string> points;
  bool quiet = false;
  bool allow_failures = false;
};

const char* description_of(std::string_view name) {
  if (name == "costmodel") return "Tier 1: the prototype cost model and its analytic studies (CPU)";
  if (name == "kernel-sweep") return "Tier 2: selective-scan timing over shapes, dtypes, chunk modes, sizes and policies";
  if (name == "routed-ablation") return "Tier 3: Mamba LM inference with a per-layer chunk scheduler";
  return "Tier 3 study: prompt pool, feature scan, per-regime chunk sweep";
}

experiments::Backend choose_backend(const std::string& requested, bool devices_given) {
  const bool have_cuda = experiments::cuda_device_count() > 0;
  if (requested == "cpu") {
    if (devices_given) throw_usage_error("--devices selects CUDA devices, but --backend cpu runs on the host");
    return experiments::Backend::cpu;
  }
  if (requested == "cuda" || devices_given) {
    if (!have_cuda)
      throw_usage_error(std::string(requested == "cuda" ? "--backend cuda" : "--devices") +
                        ": no CUDA device is available (or corey was built without CUDA)");
    return experiments::Backend::cuda;
  }
  return have_cuda ? experiments::Backend::cuda : experiments::Backend::cpu;
}

void run_command(const std::string& experiment, const ExperimentArgs& args) {
  auto tier = experiments::make_tier(experiment);
  const auto spec = experiments::load_spec_for(args.spec_path, args.sets, experiment);
  auto plan = spec::expand(spec);
  if (!args.points.empty()) {
    std::vector<spec::Point> kept;
    for (const auto& p : plan.points)
      for (const auto& id : args.points)
        if (p.id == id) kept.push_back(p);
    if (kept.empty()) throw_usage_error("--point: none of the given ids is in the plan");
    plan.points = kept;
  }
  tier->validate(spec, plan);
  const auto shard = experiments::resolve_shard(args.shard_index, args.shard_count, [](const char* n) { return std::getenv(n); });
  const auto strategy = experiments::shard_strategy_from_string(args.shard_strategy);
  if (args.dry_run) {
    print_plan(spec, plan, shard.count, strategy, args.json, tier.get());
    return;
  }
  experiments::RunOptions options;
  options.out_dir = args.out_dir;
  options.resume = args.resume;
  if (!args.order.empty()) options.order = experiments::execution_order_from_string(args.order);
  if (!args.seed.empty()) {
    char* end = nullptr;
    options.seed = std::strtoull(args.seed.c_str(), &end, 10);
    if (*end != '\0') throw_usage_error("--seed '" + args.seed + "' is not a non-negative integer");
  }
  if (!args.devices.empty() && args.devices != "all") {
    // The syntax and the tier's one-device rule come before any device is looked at, so the answer is the
    // same on a machine without one.
    const auto listed = experiments::parse_devices(args.devices, std::numeric_limits<int>::max());
    experiments::check_devices_allowed(*tier, listed.size());
  }
  if (args.devices.empty() && !spec.devices.empty())
    experiments::check_devices_allowed(*tier, spec.devices.size(), "devices", spec.where("/devices"));
  options.backend = choose_backend(args.backend, !args.devices.empty());
  if (!args.devices.empty()) {
    options.devices = experiments::parse_devices(args.devices, experiments::cuda_device_count());
  } else if (options.backend == experiments::Backend::cuda && !spec.devices.empty()) {
    // The spec's list applies to CUDA runs only, so the same spec still runs on a CPU-only machine.
    for (const auto& d : spec.devices) options.devices.push_back(d.get<int>());
    experiments::check_devices(options.devices, experiments::cuda_device_count(), "devices", spec.where("/devices"));
  }
  options.shard = shard;
  options.strategy = strategy;
  options.formats = args.formats.empty() ? spec.output.value("formats", std::vector<std::string>{}) : args.formats;
  options.argv = argv_slot();
  options.quiet = args.quiet;
  options.allow_failures = args.allow_failures;
  const auto outcome = experiments::run_experiment(spec, plan, *tier, options);
  if (!args.quiet) std::printf("%s\n", outcome.results_path.c_str());
  if (outcome.signal != 0) {
    std::fprintf(stderr, "corey: interrupted; finished points are in %s (status partial); rerun with --resume --out %s\n",
                 outcome.results_path.c_str(), outcome.out_dir.c_str());
    exit_code_slot() = 128 + outcome.signal;
    return;
  }
  exit_code_slot() = static_cast<int>(outcome.exit_code);
}

}  // namespace

void add_experiment_commands(CLI::App& app) {
  for (std::string_view name : experiments::experiment_names) {
    auto* cmd = app.add_subcommand(std::string(name), description_of(name));
    auto args = std::make_shared<ExperimentArgs>();
    cmd->add_option("spec,--spec", args->spec_path, "YAML experiment spec (corey.spec/1)")->required();
    cmd->add_option("--set", args->sets, "override one resolved key: key.path=value (repeatable)");
    cmd->add_option("--out", args->out_dir, "output directory (default: output.dir, else runs/<name>/<run_id>)");
    cmd->add_flag("--dry-run", args->dry_run, "print the plan and exit (same as `corey plan`)");
    cmd->add_flag("--json", args->json, "with --dry-run: print the plan as JSON");
    cmd->add_option("--shard-index", args->shard_index, "this shard's index (0-based)");
    cmd->add_option("--shard-count", args->shard_count, "number of shards");
    cmd->add_option("--shard-strategy", args->shard_strategy, "round_robin | contiguous | cost");
    cmd->add_flag("--resume", args->resume, "skip points already ok in the output stream (same spec, build, device)");
    cmd->add_option("--order", args->order, "execution order: sequential | interleaved | random");
    cmd->add_option("--seed", args->seed, "seed of the execution order");
    cmd->add_option("--backend", args->backend, "auto | cpu | cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
    cmd->add_option("--devices", args->devices,
                    "CUDA devices, one worker each: 0,1,... or all (as CUDA_VISIBLE_DEVICES shows them); "
                    "default: the spec's devices, else device 0");
    cmd->add_option("--format", args->formats, "derived tables to write beside the results: md, csv")
        ->delimiter(',')
        ->check(CLI::IsMember({"md", "csv", "json"}));
    cmd->add_option("--point", args->points, "run only this point id (repeatable)");
    cmd->add_flag("-q,--quiet", args->quiet, "no progress display, no result path on stdout");
    cmd->add_flag("--allow-failures", args->allow_failures, "exit 0 even if some points failed");
    const std::string experiment(name);
    cmd->callback([experiment, args] { run_command(experiment, *args); });
  }
}

}  // namespace corey::app
