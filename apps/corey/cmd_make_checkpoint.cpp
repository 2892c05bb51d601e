#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "core/half.hpp"
#include "model/synthetic_checkpoint.hpp"

namespace corey::app {
namespace {

struct MakeCheckpointArgs {
  std::string like;
  std::uint64_t seed = 0;
  std::string out;
  std::string dtype = "fp32";
};

void run_make_checkpoint(const MakeCheckpointArgs& a) {
  const model::MambaConfig config = model::config_like(a.like);
  const DType dtype = dtype_from_string(a.dtype);
  model::write_synthetic_checkpoint(a.out, config, a.seed, dtype, a.like);
  std::printf("wrote %s: %s layout, %.1f M parameters, %s, seed %llu\n", a.out.c_str(), a.like.c_str(),
              static_cast<double>(config.parameter_count()) / 1e6, std::string(to_string(dtype)).c_str(),
              static_cast<unsigned long long>(a.seed));
}

}  // namespace

void add_make_checkpoint_command(CLI::App& app) {
  auto args = std::make_shared<MakeCheckpointArgs>();
  auto* cmd = app.add_subcommand(
      "make-checkpoint", "write a synthetic Mamba checkpoint in exact HF layout with HF initialisation statistics");
  cmd->add_option("--like", args->like, "model size: mamba-130m, mamba-370m, mamba-790m, mamba-1.4b, mamba-2.8b")
      ->required();
  cmd->add_option("--seed", args->seed, "seed of the weight generator (stored in the safetensors metadata)")->required();
  cmd->add_option("--out", args->out, "output directory (config.json + model.safetensors)")->required();
  cmd->add_option("--dtype", args->dtype, "weight dtype: fp32 (as the -hf checkpoints), fp16 or bf16")
      ->capture_default_str();
  cmd->callback([args] { run_make_checkpoint(*args); });
}

}  // namespace corey::app
