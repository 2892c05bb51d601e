#include "bench/tensor_analysis.hpp"

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/npy.hpp"
#include "core/safetensors.hpp"
#include "entropy/cpu_stats.hpp"
#include "sched/learned_table.hpp"

namespace corey::bench {
namespace {

struct LoadedTensor {
  std::string label;  // "file" or "file:tensor"
  std::string name;
  DType dtype = DType::f32;
  std::vector<std::int64_t> shape;
  std::vector<double> storage;
};

LoadedTensor load(const std::string& path, const std::string& tensor) {
  LoadedTensor t;
  if (path.ends_with(".safetensors")) {
    const core::SafetensorsFile file(path);
    std::string name = tensor;
    if (name.empty()) {
      std::vector<std::string> floats;
      for (const auto& info : file.tensors()) {
        if (info.dtype) floats.push_back(info.name);
      }
      if (floats.size() != 1) {
        std::string list;
        for (const auto& n : floats) list += (list.empty() ? "" : ", ") + n;
        throw Error(ErrorKind::usage, path + ": name the tensor to analyze with --tensor (float tensors: " +
                                          (list.empty() ? std::string("none") : list) + ")");
      }
      name = floats.front();
    }
    const core::SafetensorInfo& info = file.tensor(name);
    t.storage = file.copy_aligned(info);
    t.dtype = *info.dtype;
    t.shape = info.shape;
    t.name = name;
    t.label = path + ":" + name;
  } else if (path.ends_with(".npy")) {
    if (!tensor.empty()) throw Error(ErrorKind::usage, path + ": --tensor applies to .safetensors files only");
    core::NpyArray array = core::read_npy(path);
    t.storage = std::move(array.storage);
    t.dtype = array.dtype;
    t.shape = array.shape;
    t.label = path;
  } else {
    throw Error(ErrorKind::usage, path + ": unknown file type (expected .npy or .safetensors)");
  }
  return t;
}

Json rule_entry(const std::string& name, const std::string& used_by, const entropy::ChunkRule& rule, double h) {
  return Json{{"name", name},
              {"used_by", used_by},
              {"h_ref", rule.h_ref},
              {"c_min", rule.c_min},
              {"c_max", rule.c_max},
              {"rounding", std::string(entropy::to_string(rule.rounding))},
              {"statistic", "hist (E-routed), nats"},
              {"entropy", h},
              {"chunk", entropy::choose_chunk(h, rule)}};
}

}  // namespace

Json analyze_tensor_file(const std::string& path, const AnalyzeOptions& options) {
  if (options.bins < 2) throw_usage_error("--bins must be >= 2 (got " + std::to_string(options.bins) + ")");
  if (options.stride < 1) throw_usage_error("--stride must be >= 1");
  if (options.chunk_min.has_value() != options.chunk_max.has_value())
    throw_usage_error("--chunk-min and --chunk-max go together");
  const LoadedTensor t = load(path, options.tensor);

  // (B, D, L) view of the element buffer.
  std::int64_t numel = 1;
  for (std::int64_t s : t.shape) numel *= s;
  if (numel == 0) throw Error(ErrorKind::usage, t.label + ": the tensor is empty");
  std::int64_t L = t.shape.empty() ? 1 : t.shape.back();
  std::int64_t D = t.shape.size() >= 2 ? t.shape[t.shape.size() - 2] : 1;
  const std::int64_t B = numel / (L * D);
  for (std::int64_t i = 0; i < numel; ++i) {
    if (!std::isfinite(load_as_f64(t.storage.data(), t.dtype, i)))
      throw Error(ErrorKind::usage, t.label + ": non-finite value (NaN or Inf) at flat index " + std::to_string(i));
  }
  const entropy::ActivationView x = entropy::contiguous_view(t.storage.data(), t.dtype, B, D, L);
  entropy::CpuStats stats;
  using entropy::Estimator;
  using entropy::Statistic;
  using entropy::Units;
  const int K = options.bins;
  const std::string tensor_name = t.name.empty() ? path : t.name;
  auto est = [&](Estimator e, Units u, std::int64_t stride) {
    return stats.estimate(x, Statistic{e, K, u, stride}, tensor_name);
  };

  Json out = Json::object();
  out["file"] = path;
  out["tensor"] = t.name.empty() ? Json(nullptr) : Json(t.name);
  out["dtype"] = std::string(to_string(t.dtype));
  out["shape"] = t.shape;
  out["view_bdl"] = {B, D, L};
  out["elements"] = numel;
  Json estimators = Json::array();
  const entropy::EntropyValue hist = est(Estimator::hist, Units::nats, 1);
  const entropy::EntropyValue sampled = est(Estimator::hist, Units::nats, options.stride);
  estimators.push_back(hist.to_json());
  estimators.push_back(est(Estimator::hist, Units::bits, 1).to_json());
  estimators.push_back(sampled.to_json());
  estimators.push_back(est(Estimator::ebits, Units::bits, 1).to_json());
  estimators.push_back(est(Estimator::proto, Units::nats, 1).to_json());
  estimators.push_back(est(Estimator::proto, Units::normalized, 1).to_json());
  estimators.push_back(est(Estimator::token_hist, Units::nats, 1).to_json());
  estimators.push_back(est(Estimator::token_hist, Units::nats, options.stride).to_json());
  estimators.push_back(est(Estimator::cheap_proxy, Units::nats, 1).to_json());
  estimators.push_back(est(Estimator::variance_proxy, Units::nats, 1).to_json());
  estimators.push_back(est(Estimator::kurtosis_proxy, Units::nats, 1).to_json());
  out["estimators"] = estimators;

  const double ln_k = std::log(static_cast<double>(K));
  const double h = hist.value;
  using entropy::Rounding;
  Json rules = Json::array();
  rules.push_back(
      rule_entry("w1_legacy", "W1 scripts, layer sweep (PAPER.md §2.3 a)", {8.0, 32, 512, Rounding::round}, h));
  rules.push_back(
      rule_entry("w1_calibrated_round", "paper default as coded (§2.3 a')", {ln_k, 32, 512, Rounding::round}, h));
  rules.push_back(
      rule_entry("w1_calibrated_floor", "paper default as printed (§2.3 a')", {ln_k, 32, 512, Rounding::floor}, h));
  rules.push_back(rule_entry("routed", "routed harness (§2.3 b)", {ln_k, 128, 512, Rounding::round}, h));
  rules.push_back(
      rule_entry("routed_matrix", "H800 matrix / oracle scripts (§2.3 b')", {ln_k, 128, 2048, Rounding::round}, h));
  if (options.h_ref || options.chunk_min) {
    const entropy::ChunkRule custom{options.h_ref.value_or(ln_k), options.chunk_min.value_or(32),
                                    options.chunk_max.value_or(512), Rounding::round};
    if (custom.c_min < 1 || custom.c_max < custom.c_min) throw_usage_error("need 1 <= --chunk-min <= --chunk-max");
    rules.push_back(rule_entry("custom", "--h-ref / --chunk-min / --chunk-max", custom, h));
    rules.push_back(rule_entry("custom_floor", "--h-ref / --chunk-min / --chunk-max",
                               {custom.h_ref, custom.c_min, custom.c_max, Rounding::floor}, h));
  }
  out["rules"] = rules;

  if (!options.learned_table.empty()) {
    const sched::LearnedTable table = sched::LearnedTable::load(options.learned_table);
    sched::Features features;
    features.layer_idx = options.layer_idx;
    features.seq_len = L;
    features.entropy = sampled.value;
    const sched::TableDecision d = table.lookup(features);
    out["learned_table"] = Json{{"file", options.learned_table},
                                {"layer_idx", options.layer_idx ? Json(*options.layer_idx) : Json(nullptr)},
                                {"seq_len", L},
                                {"entropy_nats", sampled.value},
                                {"entropy_stride", options.stride},
                                {"chunk", d.chunk},
                                {"policy_rule", d.policy_rule}};
  }
  return out;
}

}  // namespace corey::bench
