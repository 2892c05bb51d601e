#include <cstdio>
#include <cstdlib>

#include "commands.hpp"
#include "experiments/spec_loading.hpp"
#include "experiments/tier.hpp"
#include "plan_printing.hpp"
#include "sbatch_emit.hpp"

namespace corey::app {

namespace {
struct PlanArgs {
  std::string spec_path;
  std::vector<std::string> sets;
  bool json = false;
  int shards = 1;
  int max_parallel = 4;
  std::string strategy = "round_robin";
  std::string sbatch_dir;
  bool strict = false;
};
}  // namespace

void add_plan_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("plan", "expand a spec: points, ids, skipped points, shard plan");
  auto args = std::make_shared<PlanArgs>();
  cmd->add_option("spec,--spec", args->spec_path, "YAML experiment spec")->required();
  cmd->add_option("--set", args->sets, "override one resolved key: key.path=value (repeatable)");
  cmd->add_flag("--json", args->json, "print the plan as JSON");
  cmd->add_option("--shards", args->shards, "number of shards to plan for")->check(CLI::PositiveNumber);
  cmd->add_option("--shard-strategy", args->strategy, "round_robin | contiguous | cost");
  cmd->add_option("--emit-sbatch", args->sbatch_dir, "write a Slurm array job, a merge job and submit.sh into DIR");
  cmd->add_option("--max-parallel", args->max_parallel, "array tasks running at once (the %N of --array)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--strict", args->strict, "merge only after every shard succeeded (afterok, no --allow-partial)");
  cmd->callback([args] {
    const auto spec = experiments::load_spec_for(args->spec_path, args->sets, {});
    const auto plan = spec::expand(spec);
    const auto tier = experiments::make_tier(spec.experiment);
    if (tier) tier->validate(spec, plan);
    print_plan(spec, plan, args->shards, experiments::shard_strategy_from_string(args->strategy), args->json,
               tier.get());
    if (!args->sbatch_dir.empty()) {
      emit_sbatch(spec, args->shards, args->max_parallel, args->sbatch_dir, args->strict);
      std::fprintf(stderr, "wrote %s/{array.sbatch,merge.sbatch,submit.sh}\n", args->sbatch_dir.c_str());
    }
  });
}

}  // namespace corey::app
