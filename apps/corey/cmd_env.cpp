#include <cstdio>

#include "commands.hpp"
#include "experiments/environment.hpp"

namespace corey::app {

void add_env_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("env", "print the environment block (host, build, devices, clocks) as JSON");
  cmd->callback([] { std::printf("%s\n", experiments::environment_block(false).dump(2).c_str()); });
}

}  // namespace corey::app
