#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/npy.hpp"
#include "experiments/device_hooks.hpp"
#include "model/bpe_tokenizer.hpp"
#include "model/checkpoint.hpp"
#include "model/cpu_model_runner.hpp"
#include "model/generation.hpp"

namespace corey::app {
namespace {

struct GenerateArgs {
  std::string checkpoint;
  std::string prompt;
  std::string ids;
  std::int64_t new_tokens = 0;
  std::string logits_out;
  std::string tokenizer = "auto";
  std::int64_t chunk = 0;
  unsigned threads = 0;
  std::string backend = "cpu";
  std::string dtype = "fp32";
  int device = 0;
  bool json = false;
};

std::vector<std::int32_t> parse_ids(const std::string& text) {
  std::vector<std::int32_t> ids;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    long long value = -1;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || value < 0 || value > INT32_MAX)
      throw_usage_error("--ids: '" + item + "' is not a token id (expected comma-separated integers >= 0)");
    ids.push_back(static_cast<std::int32_t>(value));
  }
  if (ids.empty()) throw_usage_error("--ids: no token ids given");
  return ids;
}

std::unique_ptr<model::Tokenizer> pick_tokenizer(const GenerateArgs& a) {
  if (a.tokenizer == "byte") return std::make_unique<model::ByteTokenizer>();
  if (a.tokenizer == "auto") return model::load_tokenizer_for(a.checkpoint);
  return model::BpeTokenizer::from_file(a.tokenizer);
}

// The CPU runner, or the CUDA one through the hook a CUDA build installs.
std::unique_ptr<model::ModelRunner> make_runner(const GenerateArgs& a, model::MambaWeights weights) {
  if (a.backend == "cpu") {
    if (a.dtype != "fp32") throw_usage_error("--dtype " + a.dtype + ": the CPU backend runs fp32 weights only");
    return std::make_unique<model::CpuModelRunner>(std::move(weights), a.threads);
  }
  const experiments::DeviceHooks& hooks = experiments::device_hooks();
  if (!hooks.make_model_runner)
    throw Error(ErrorKind::environment, "--backend cuda: this corey was built without the CUDA backend");
  const int devices = experiments::cuda_device_count();
  if (a.device < 0 || a.device >= devices)
    throw Error(ErrorKind::environment, "--backend cuda: no CUDA device " + std::to_string(a.device) + " (" +
                                            std::to_string(devices) + " found)");
  return hooks.make_model_runner(a.device, weights, dtype_from_string(a.dtype));
}

void run_generate(const GenerateArgs& a) {
  if (a.prompt.empty() == a.ids.empty()) throw_usage_error("generate: give exactly one of --prompt or --ids");
  const model::Checkpoint checkpoint(a.checkpoint);
  const std::unique_ptr<model::Tokenizer> tokenizer = pick_tokenizer(a);
  std::vector<std::int32_t> prompt;
  if (!a.ids.empty()) {
    prompt = parse_ids(a.ids);
  } else {
    if (!tokenizer)
      throw_usage_error(a.checkpoint + ": no tokenizer.json; pass --ids, or --tokenizer byte|FILE with --prompt");
    prompt = tokenizer->encode(a.prompt);
    if (prompt.empty()) throw_usage_error("--prompt: the text encodes to no tokens");
  }
  model::MambaWeights weights = model::load_weights(checkpoint);
  for (const std::string& note : weights.notes) std::fprintf(stderr, "corey: warning: %s\n", note.c_str());
  const std::unique_ptr<model::ModelRunner> runner_ptr = make_runner(a, std::move(weights));
  model::ModelRunner& runner = *runner_ptr;
  model::PrefillOptions options;
  options.chunk = a.chunk;
  const model::GenerationResult result =
      model::generate_greedy(runner, prompt, a.new_tokens, options, !a.logits_out.empty());
  if (!a.logits_out.empty()) {
    core::write_npy(a.logits_out, DType::f32,
                    {static_cast<std::int64_t>(prompt.size()), runner.config().vocab_size},
                    result.prompt_logits.data());
  }
  if (a.json) {
    Json out = Json::object();
    out["new_ids"] = result.new_ids;
    if (tokenizer) out["new_text"] = tokenizer->decode(result.new_ids);
    // JSON strings must be UTF-8: a multi-byte character split at the end is shown as U+FFFD.
    std::printf("%s\n", out.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
    return;
  }
  std::string line;
  for (std::size_t i = 0; i < result.new_ids.size(); ++i) line += (i ? "," : "") + std::to_string(result.new_ids[i]);
  std::printf("%s\n", line.c_str());
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand("generate", "greedy generation with a Mamba checkpoint (CPU or CUDA backend)");
  cmd->add_option("--checkpoint", args->checkpoint, "HF checkpoint directory (config.json + safetensors)")->required();
  auto* prompt = cmd->add_option("--prompt", args->prompt, "prompt text (needs a tokenizer)");
  auto* ids = cmd->add_option("--ids", args->ids, "prompt token ids, comma-separated (e.g. 1,2,3)");
  prompt->excludes(ids);
  cmd->add_option("--new-tokens", args->new_tokens, "number of tokens to generate")->required()->check(CLI::NonNegativeNumber);
  cmd->add_option("--logits-out", args->logits_out, "write the prompt's logits (positions x vocab, float32) to this .npy");
  cmd->add_option("--tokenizer", args->tokenizer,
                  "auto (the checkpoint's tokenizer.json), byte (id = byte value) or a tokenizer.json path")
      ->capture_default_str();
  cmd->add_option("--chunk", args->chunk, "scan chunk size for the prefill (0 = the whole prompt)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--threads", args->threads, "CPU scan threads (0 = all cores)");
  cmd->add_option("--backend", args->backend, "cpu, or cuda (a CUDA build with a device)")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_option("--dtype", args->dtype, "weights and activations on the CUDA backend: fp32, fp16 or bf16")
      ->check(CLI::IsMember({"fp32", "fp16", "bf16"}))
      ->capture_default_str();
  cmd->add_option("--device", args->device, "CUDA device index")->capture_default_str();
  cmd->add_flag("--json", args->json, "print {\"new_ids\": [...]} as JSON");
  cmd->callback([args] { run_generate(*args); });
}

}  // namespace corey::app
