#include "experiments/environment.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>

#include "corey/build_info.hpp"
#include "experiments/device_hooks.hpp"

namespace corey::experiments {

namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

Json slurm_block() {
  Json slurm = Json::object();
  for (const char* name : {"SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURMD_NODENAME"}) {
    if (const char* value = std::getenv(name)) slurm[name] = value;
  }
  return slurm.empty() ? Json(nullptr) : slurm;
}

}  // namespace

Json environment_block(bool cpu_backend_timing) {
  Json env;
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  env["host"] = host;
  utsname u{};
  ::uname(&u);
  env["os"] = std::string(u.sysname) + " " + u.release;
  env["cpu"] = cpu_model();
  env["cpu_cores"] = std::thread::hardware_concurrency();
  env["corey"] = Json{{"version", build::version},
                      {"git_sha", build::git_sha},
                      {"git_dirty", build::git_dirty},
                      {"build_type", build::build_type},
                      {"compiler", build::compiler},
                      {"cuda_arch", std::string(build::cuda_architectures)},
                      {"nvcc", std::string(build::cuda_compiler_version)}};
  Json warnings = Json::array();
  const auto& hooks = device_hooks();
  if (cuda_device_count() > 0) {
    env["cuda"] = hooks.cuda_versions ? hooks.cuda_versions() : Json(nullptr);
    env["devices"] = hooks.describe_devices ? hooks.describe_devices() : Json::array();
    bool any_locked = false;
    for (const auto& d : env["devices"]) any_locked = any_locked || d.value("clocks_locked", false);
    if (!any_locked) warnings.push_back("clocks not locked");
  } else {
    env["cuda"] = nullptr;
    env["devices"] = Json::array();
  }
  env["slurm"] = slurm_block();
  if (std::string(build::build_type) != "Release") warnings.push_back("not a Release build");
  if (build::git_dirty) warnings.push_back("built from a working tree with uncommitted changes");
  if (cpu_backend_timing) warnings.push_back("CPU backend used for a timing study");
  env["warnings"] = warnings;
  return env;
}

Json environment_fingerprint(const Json& env) {
  Json fp;
  fp["corey_git_sha"] = env["corey"]["git_sha"];
  Json devices = Json::array();
  for (const auto& d : env["devices"]) devices.push_back(d.value("uuid", d.value("name", std::string{"?"})));
  fp["devices"] = devices;
  fp["cpu"] = env["cpu"];
  return fp;
}

}  // namespace corey::experiments
