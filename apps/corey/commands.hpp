#pragma once
#include <CLI/CLI.hpp>

namespace corey::app {

// Each subcommand lives in its own cmd_<name>.cpp and registers itself on the root app.
void add_experiment_commands(CLI::App& app);  // costmodel, kernel-sweep, routed-ablation, mixed-regime
void add_validate_command(CLI::App& app);
void add_plan_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_merge_command(CLI::App& app);
void add_env_command(CLI::App& app);
void add_analyze_command(CLI::App& app);

}  // namespace corey::app
