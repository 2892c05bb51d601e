#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "bench/tensor_analysis.hpp"
#include "commands.hpp"

namespace corey::app {

void add_analyze_command(CLI::App& app) {
  struct Args {
    std::string file;
    bench::AnalyzeOptions options;
    double h_ref = 0.0;
    std::int64_t chunk_min = 0;
    std::int64_t chunk_max = 0;
    std::int64_t layer_idx = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "analyze", "print every entropy estimator (with units) of a tensor and the chunk each paper rule picks, as JSON");
  cmd->add_option("FILE", args->file, ".npy (float16/32/64, C order) or .safetensors file")->required();
  cmd->add_option("--tensor", args->options.tensor, "tensor name inside a .safetensors file");
  cmd->add_option("--bins", args->options.bins, "histogram bins K (default 256)");
  cmd->add_option("--stride", args->options.stride, "time stride of the sampled estimators (default 8)");
  auto* h_ref = cmd->add_option("--h-ref", args->h_ref, "H_ref (nats) of an extra custom rule");
  auto* chunk_min = cmd->add_option("--chunk-min", args->chunk_min, "C_min of the custom rule (default 32)");
  auto* chunk_max = cmd->add_option("--chunk-max", args->chunk_max, "C_max of the custom rule (default 512)");
  chunk_min->needs(chunk_max);
  chunk_max->needs(chunk_min);
  cmd->add_option("--learned-table", args->options.learned_table, "learned-table JSON to evaluate (PAPER.md §2.4)");
  auto* layer = cmd->add_option("--layer-idx", args->layer_idx, "layer index feature for --learned-table");
  cmd->callback([args, h_ref, chunk_min, layer] {
    bench::AnalyzeOptions options = args->options;
    if (*h_ref) options.h_ref = args->h_ref;
    if (*chunk_min) {
      options.chunk_min = args->chunk_min;
      options.chunk_max = args->chunk_max;
    }
    if (*layer) options.layer_idx = args->layer_idx;
    std::printf("%s\n", bench::analyze_tensor_file(args->file, options).dump(2).c_str());
  });
}

}  // namespace corey::app
