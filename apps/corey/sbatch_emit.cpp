#include "sbatch_emit.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/atomic_file.hpp"

namespace corey::app {

namespace {

std::string self_path() {
  std::error_code ec;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "corey" : path.string();
}

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

void emit_sbatch(const spec::Spec& spec, int shards, int max_parallel, const std::string& dir, bool strict) {
  const std::string corey = quoted(self_path());
  const std::string spec_path = quoted(std::filesystem::absolute(spec.path).string());
  const std::string cwd = quoted(std::filesystem::current_path().string());
  std::string sets;
  for (const auto& s : spec.overrides) sets += " --set " + quoted(s);
  const std::string run_dir = "runs/" + spec.name + "/${SLURM_ARRAY_JOB_ID}";

  const std::string array =
      "#!/bin/bash\n"
      "#SBATCH --job-name=corey-" + spec.name + "\n"
      "#SBATCH --array=0-" + std::to_string(shards - 1) + "%" + std::to_string(max_parallel) + "\n"
      "#SBATCH --ntasks=1\n"
      "#SBATCH --output=logs/%A_%a.log\n"
      "# Shard identity comes from SLURM_ARRAY_TASK_ID/MIN/STEP/COUNT; --resume refills a failed task's holes.\n"
      "set -euo pipefail\n"
      "cd " + cwd + "\n"
      "exec " + corey + " " + spec.experiment + " " + spec_path + sets + " --out \"" + run_dir + "\" --resume --quiet\n";
  const std::string merge =
      "#!/bin/bash\n"
      "#SBATCH --job-name=corey-" + spec.name + "-merge\n"
      "#SBATCH --ntasks=1\n"
      "#SBATCH --output=logs/%j_merge.log\n"
      "set -euo pipefail\n"
      "cd " + cwd + "\n"
      "mkdir -p results\n"
      "exec " + corey + " merge \"runs/" + spec.name + "/${ARRAY_JOB_ID}\"" + (strict ? "" : " --allow-partial") +
      " -o \"results/" + spec.name + ".json\"\n";
  const std::string submit =
      "#!/bin/bash\n"
      "# Submits the shard array, then the merge once every array task has ended.\n"
      "set -euo pipefail\n"
      "here=\"$(cd \"$(dirname \"$0\")\" && pwd)\"\n"
      "cd " + cwd + "\n"
      "mkdir -p logs\n"
      "jid=$(sbatch --parsable \"$here/array.sbatch\")\n"
      "jid=${jid%%;*}\n"
      "sbatch --parsable --dependency=" + std::string(strict ? "afterok" : "afterany") +
      ":$jid --export=ALL,ARRAY_JOB_ID=$jid \"$here/merge.sbatch\"\n"
      "echo \"array job $jid\"\n";
  make_directories(dir);
  write_file_atomic(dir + "/array.sbatch", array);
  write_file_atomic(dir + "/merge.sbatch", merge);
  write_file_atomic(dir + "/submit.sh", submit);
  ::chmod((dir + "/submit.sh").c_str(), 0755);
}

}  // namespace corey::app
