#include <cstdio>

#include "commands.hpp"
#include "core/atomic_file.hpp"
#include "experiments/merge.hpp"

namespace corey::app {

namespace {
struct MergeArgs {
  std::vector<std::string> inputs;
  std::string output;
  experiments::MergeOptions options;
};
}  // namespace

void add_merge_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("merge", "merge shard results into one file, checking coverage");
  auto args = std::make_shared<MergeArgs>();
  cmd->add_option("inputs", args->inputs, "shard results files, or directories holding shard-*.json")->required();
  cmd->add_option("-o,--out", args->output, "merged results file")->required();
  cmd->add_flag("--allow-partial", args->options.allow_partial, "write status partial with missing[] instead of failing");
  cmd->add_flag("--allow-mixed-env", args->options.allow_mixed_env, "merge shards from different builds or GPU models");
  cmd->callback([args] {
    const auto merged = experiments::merge_results(args->inputs, args->options);
    write_file_atomic(args->output, merged.to_json(0.0).dump() + "\n");
    std::printf("%s: %zu records, %s\n", args->output.c_str(), merged.records.size(),
                merged.run.value("status", std::string("complete")).c_str());
  });
}

}  // namespace corey::app
