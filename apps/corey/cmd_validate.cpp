#include <cstdio>

#include "commands.hpp"
#include "experiments/spec_loading.hpp"
#include "experiments/tier.hpp"
#include "results/results_file.hpp"

namespace corey::app {

void add_validate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("validate", "check a spec (or a results file) without running anything");
  auto path = std::make_shared<std::string>();
  auto sets = std::make_shared<std::vector<std::string>>();
  cmd->add_option("file", *path, "spec (.yaml) or results file (.json)")->required();
  cmd->add_option("--set", *sets, "override one resolved key: key.path=value (repeatable)");
  cmd->callback([path, sets] {
    if (path->size() > 5 && path->substr(path->size() - 5) == ".json") {
      const auto file = results::load_results(*path);
      std::printf("%s: valid corey.results/1 file, %zu records\n", path->c_str(), file.records.size());
      return;
    }
    const auto spec = experiments::load_spec_for(*path, *sets, {});
    const auto plan = spec::expand(spec);
    if (auto tier = experiments::make_tier(spec.experiment)) tier->validate(spec, plan);
    std::printf("%s: valid (%s, %zu points, %zu skipped)\n", path->c_str(), spec.experiment.c_str(), plan.points.size(),
                plan.skipped.size());
  });
}

}  // namespace corey::app
