#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "core/json.hpp"

namespace corey::bench {

struct AnalyzeOptions {
  std::string tensor;  // required for .safetensors files with more than one float tensor
  int bins = 256;
  std::int64_t stride = 8;      // the sampled estimators' time stride
  std::optional<double> h_ref;  // adds a "custom" rule (nats, on the E-routed histogram)
  std::optional<std::int64_t> chunk_min;
  std::optional<std::int64_t> chunk_max;
  std::string learned_table;  // a learned-table JSON to evaluate (layer_idx, seq_len = L, strided entropy)
  std::optional<std::int64_t> layer_idx;
};

// `corey analyze`: every estimator of PAPER.md §2.2/§2.4 on one tensor of a .npy or .safetensors file,
// each with its units, and the chunk every paper rule variant (§2.3) picks. The tensor is read as
// (B, D, L): 2-D is (D, L), 1-D is (L), leading dimensions beyond three fold into B. Throws corey::Error
// naming the file (and tensor, or the learned table's rule index): kind io (exit 3) for an unreadable
// file, kind usage (exit 2) for bad contents (truncated, wrong dtype, shape mismatch, NaN/Inf, empty).
Json analyze_tensor_file(const std::string& path, const AnalyzeOptions& options);

}  // namespace corey::bench
