// corey: reproduce and extend the COREY paper's experiments from the shell.
#include <cstdio>
#include <exception>
#include <string>

#include "commands.hpp"
#include "core/error.hpp"
#include "corey/build_info.hpp"
#ifdef COREY_WITH_CUDA
#include "install_hooks.hpp"
#endif

namespace corey::app {
int& exit_code_slot() {
  static int code = 0;
  return code;
}
std::vector<std::string>& argv_slot() {
  static std::vector<std::string> argv;
  return argv;
}
}  // namespace corey::app

namespace {

constexpr const char* exit_code_help = R"(Exit codes:
  0  ok
  1  internal error (a bug in corey)
  2  usage or spec error (message names file:line:column)
  3  I/O error (a file could not be read or written)
  4  the run finished, but some points failed (failed, oom, verify_failed, chunk_not_honoured, ...)
  5  merge coverage error (missing or duplicate points, mismatched spec)
  130/143  interrupted by SIGINT/SIGTERM (finished points kept; results.json written as partial))";

}  // namespace

int main(int argc, char** argv) {
  using namespace corey;
#ifdef COREY_WITH_CUDA
  cuda::install_device_hooks();
#endif
  app::argv_slot().assign(argv, argv + argc);
  CLI::App app{"corey: entropy-guided chunk scheduling experiments for selective-scan kernels"};
  app.set_version_flag("--version", std::string("corey ") + build::version + " (git " + build::git_sha +
                                        (build::git_dirty ? ", dirty" : "") + ")");
  app.footer(exit_code_help);
  app.require_subcommand(1);
  app::add_experiment_commands(app);
  app::add_validate_command(app);
  app::add_plan_command(app);
  app::add_report_command(app);
  app::add_merge_command(app);
  app::add_env_command(app);
  app::add_analyze_command(app);
  app::add_generate_command(app);
  app::add_make_checkpoint_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return static_cast<int>(ExitCode::usage);
  } catch (const Error& e) {
    std::fprintf(stderr, "corey: error: %s\n", e.what());
    return static_cast<int>(e.exit_code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "corey: internal error: %s\n", e.what());
    return static_cast<int>(ExitCode::internal);
  }
  return app::exit_code_slot();
}
