#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace corey::app {

// The exit code the chosen subcommand reports (CLI11 callbacks cannot return one).
int& exit_code_slot();
// The full command line, recorded in every results file.
std::vector<std::string>& argv_slot();

// Each subcommand lives in its own cmd_<name>.cpp and registers itself on the root app.
void add_experiment_commands(CLI::App& app);  // costmodel, kernel-sweep, routed-ablation, mixed-regime
void add_validate_command(CLI::App& app);
void add_plan_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_merge_command(CLI::App& app);
void add_env_command(CLI::App& app);
void add_analyze_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_make_checkpoint_command(CLI::App& app);

}  // namespace corey::app
