#include "experiments/costmodel_tier.hpp"
#include "experiments/param_access.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/python_format.hpp"

namespace corey::experiments {
namespace {

using costmodel::CsvTable;
using spec::ParamInfo;
using spec::ParamType;

const std::vector<std::string> study_names = {"fusion", "fused-kernel-sweep", "href-ablation", "bin-sensitivity"};

Json default_buckets() {
  Json buckets = Json::object();
  for (const auto& b : costmodel::FusionStudyConfig{}.buckets) buckets[b.name] = b.sequence_lengths;
  return buckets;
}

Json labelled_json(const std::vector<costmodel::LabelledValue>& values, const char* value_key) {
  Json out = Json::array();
  for (const auto& v : values) out.push_back({{"label", v.label}, {value_key, v.value}, {"description", v.description}});
  return out;
}

spec::ParamSchema build_schema() {
  const costmodel::FusionStudyConfig fusion;
  const costmodel::HrefAblationConfig href = costmodel::paper_href_ablation();
  const costmodel::BinSensitivityConfig bins;
  const costmodel::FusedKernelSweepConfig fused;
  Json seq_lens = Json::array();
  for (const auto& b : fusion.buckets)
    for (long l : b.sequence_lengths) seq_lens.push_back(l);
  Json precisions = Json::array();
  Json speedup = Json::object();
  Json penalty = Json::object();
  for (const auto& p : fusion.precisions) {
    precisions.push_back(p.name);
    speedup[p.name] = p.speedup;
    penalty[p.name] = p.penalty;
  }
  Json chains = Json::array();
  for (const auto& [n, regime] : fused.chains) chains.push_back(Json::array({n, regime}));
  return {
      {"study", ParamType::string, "fusion", study_names, "which Tier-1 study a point runs"},
      {"hidden_dim", ParamType::integer, fusion.hidden_dim, {}, "activation channels H_d"},
      {"projection_dim", ParamType::integer, fusion.projection_dim, {}, "rows P of the projection weight"},
      {"tau", ParamType::number, fusion.tau, {}, "fusion score threshold of the entropy-guided schedule"},
      {"repeats", ParamType::integer, fusion.repeats, {}, "activation draws per sequence length"},
      {"bins", ParamType::integer, fusion.bins, {}, "histogram bins of the EMA entropy, gain and Sinkhorn fit"},
      {"seed", ParamType::integer, static_cast<std::int64_t>(fusion.seed), {}, "numpy default_rng seed"},
      {"ema_decay", ParamType::number, fusion.ema_decay, {}, "decay of the moving entropy"},
      {"seq_lens", ParamType::list, seq_lens, {}, "sequence lengths, in draw order"},
      {"buckets", ParamType::map, default_buckets(), {}, "bucket name -> its sequence lengths"},
      {"alpha", ParamType::number, fusion.weights.alpha, {}, "fusion score weight of entropy"},
      {"beta", ParamType::number, fusion.weights.beta, {}, "fusion score weight of arithmetic intensity"},
      {"gamma", ParamType::number, fusion.weights.gamma, {}, "fusion score weight of memory traffic"},
      {"precisions", ParamType::list, precisions, {}, "precisions, in output order"},
      {"precision_speedup", ParamType::map, speedup, {}, "compute speed-up per precision"},
      {"precision_penalty", ParamType::map, penalty, {}, "quality penalty (sensitivity) per precision"},
      {"bonuses", ParamType::string, "on", {"on", "off"},
       "off zeroes the entropy-guided reuse, launch and tile bonuses (flaw F12 ablation)"},
      {"traces", ParamType::boolean, fusion.traces, {}, "keep the per-group schedule_trace and tile_trace tables"},
      {"golden", ParamType::string, "", {}, "directory of reference CSVs to compare every table with"},
      {"entropies", ParamType::list, labelled_json(href.entropies, "nats"), {}, "href-ablation: entropy scenarios"},
      {"h_refs", ParamType::list, labelled_json(href.h_refs, "value"), {}, "href-ablation: H_ref values"},
      {"latency_table", ParamType::any, "paper-rtx3070", {},
       "href-ablation / bin-sensitivity: 'paper-rtx3070' or a map chunk -> latency ms"},
      {"ks", ParamType::list, bins.ks, {}, "bin-sensitivity: bin counts"},
      {"distributions", ParamType::list, bins.distributions, {}, "bin-sensitivity: standard_normal, uniform_unit"},
      {"samples", ParamType::integer, static_cast<std::int64_t>(bins.samples), {}, "bin-sensitivity: draws"},
      {"dist_seed", ParamType::integer, static_cast<std::int64_t>(bins.seed), {}, "bin-sensitivity: seed"},
      {"fixed_h_ref", ParamType::number, bins.fixed_h_ref, {}, "bin-sensitivity: the fixed H_ref"},
      {"chain_configs", ParamType::list, chains, {}, "fused-kernel-sweep: [ops, regime] pairs"},
      {"sweep_tau", ParamType::number, fused.tau, {}, "fused-kernel-sweep: τ"},
      {"launch_ms", ParamType::number, fused.launch_ms, {}, "fused-kernel-sweep: surrogate ms per launch"},
      {"solver_repeats", ParamType::integer, fused.solver_repeats, {}, "fused-kernel-sweep: timed solver calls"},
  };
}

[[noreturn]] void bad(const spec::Spec& spec, const std::string& param, const std::string& message) {
  throw_spec_error("params." + param + ": " + message, spec.where_param(param));
}

const Json& param(const Json& params, const spec::Spec& spec, const std::string& name) {
  const auto it = params.find(name);
  if (it == params.end()) bad(spec, name, "missing");
  return *it;
}

std::int64_t int_param(const Json& params, const spec::Spec& spec, const std::string& name, std::int64_t min) {
  const Json& v = param(params, spec, name);
  if (!v.is_number_integer()) bad(spec, name, "expected an integer, found " + v.dump());
  const auto value = v.get<std::int64_t>();
  if (value < min) bad(spec, name, "must be at least " + std::to_string(min) + ", got " + std::to_string(value));
  return value;
}

double number_param(const Json& params, const spec::Spec& spec, const std::string& name) {
  const Json& v = param(params, spec, name);
  if (!v.is_number()) bad(spec, name, "expected a number, found " + v.dump());
  const double value = v.get<double>();
  if (!std::isfinite(value)) bad(spec, name, "must be finite");
  return value;
}

std::string string_param(const Json& params, const spec::Spec& spec, const std::string& name) {
  const Json& v = param(params, spec, name);
  if (!v.is_string()) bad(spec, name, "expected a string, found " + v.dump());
  return v.get<std::string>();
}

std::string positive_number_text(double v) { return python_float_repr(v); }

costmodel::LatencyTable latency_table_param(const Json& params, const spec::Spec& spec) {
  const Json& v = param(params, spec, "latency_table");
  if (v.is_string() && v.get<std::string>() == "paper-rtx3070") return costmodel::paper_rtx3070_latency_table();
  if (!v.is_object() || v.empty())
    bad(spec, "latency_table", "expected 'paper-rtx3070' or a non-empty map chunk -> latency ms");
  costmodel::LatencyTable table;
  for (auto it = v.begin(); it != v.end(); ++it) {
    int chunk = 0;
    try {
      std::size_t used = 0;
      chunk = std::stoi(it.key(), &used);
      if (used != it.key().size() || chunk < 1) throw std::invalid_argument(it.key());
    } catch (const std::exception&) {
      bad(spec, "latency_table", "key '" + it.key() + "' is not a chunk size");
    }
    if (!it.value().is_number() || it.value().get<double>() <= 0)
      bad(spec, "latency_table", "latency of chunk " + it.key() + " must be a positive number");
    table[chunk] = it.value().get<double>();
  }
  return table;
}

std::vector<costmodel::LabelledValue> labelled_param(const Json& params, const spec::Spec& spec,
                                                     const std::string& name, const char* value_key,
                                                     bool positive) {
  const Json& v = param(params, spec, name);
  if (!v.is_array() || v.empty()) bad(spec, name, "expected a non-empty list");
  std::vector<costmodel::LabelledValue> out;
  for (const auto& item : v) {
    if (!item.is_object() || !item.contains(value_key) || !item.at(value_key).is_number())
      bad(spec, name, std::string("every entry needs a numeric '") + value_key + "'");
    costmodel::LabelledValue lv;
    lv.value = item.at(value_key).get<double>();
    if (positive && !(lv.value > 0)) bad(spec, name, std::string("'") + value_key + "' must be positive");
    lv.label = item.contains("label") && item["label"].is_string() ? item["label"].get<std::string>()
                                                                    : positive_number_text(lv.value);
    lv.description = item.contains("description") && item["description"].is_string()
                         ? item["description"].get<std::string>()
                         : "";
    out.push_back(lv);
  }
  return out;
}

}  // namespace

costmodel::FusionStudyConfig fusion_config_from_params(const Json& params, const spec::Spec& spec) {
  costmodel::FusionStudyConfig c;
  c.hidden_dim = static_cast<int>(int_param(params, spec, "hidden_dim", 1));
  c.projection_dim = static_cast<int>(int_param(params, spec, "projection_dim", 1));
  c.tau = number_param(params, spec, "tau");
  c.repeats = static_cast<int>(int_param(params, spec, "repeats", 1));
  c.bins = static_cast<int>(int_param(params, spec, "bins", 2));
  c.seed = static_cast<std::uint64_t>(int_param(params, spec, "seed", 0));
  c.ema_decay = number_param(params, spec, "ema_decay");
  if (c.ema_decay < 0 || c.ema_decay > 1) bad(spec, "ema_decay", "must lie in [0, 1]");
  c.weights = {number_param(params, spec, "alpha"), number_param(params, spec, "beta"),
               number_param(params, spec, "gamma")};
  c.bonuses = string_param(params, spec, "bonuses") == "on";
  const Json& traces = param(params, spec, "traces");
  if (!traces.is_boolean()) bad(spec, "traces", "expected a boolean, found " + traces.dump());
  c.traces = traces.get<bool>();

  // Draw order follows seq_lens; each length belongs to exactly one non-empty bucket, and buckets are
  // reported in the order their first length is drawn.
  const Json& seq_lens = param(params, spec, "seq_lens");
  if (!seq_lens.is_array() || seq_lens.empty()) bad(spec, "seq_lens", "expected a non-empty list of lengths");
  std::vector<long> lengths;
  for (const auto& v : seq_lens) {
    if (!v.is_number_integer() || v.get<std::int64_t>() < 1)
      bad(spec, "seq_lens", "every length must be a positive integer, found " + v.dump());
    const long l = static_cast<long>(v.get<std::int64_t>());
    if (std::find(lengths.begin(), lengths.end(), l) != lengths.end())
      bad(spec, "seq_lens", "length " + std::to_string(l) + " appears twice");
    lengths.push_back(l);
  }
  const Json& buckets = param(params, spec, "buckets");
  if (!buckets.is_object() || buckets.empty()) bad(spec, "buckets", "expected a map bucket -> lengths");
  std::map<long, std::string> owner;
  for (auto it = buckets.begin(); it != buckets.end(); ++it) {
    if (!it.value().is_array() || it.value().empty()) bad(spec, "buckets." + it.key(), "bucket '" + it.key() + "' is empty");
    for (const auto& v : it.value()) {
      if (!v.is_number_integer()) bad(spec, "buckets." + it.key(), "expected integer lengths, found " + v.dump());
      const long l = static_cast<long>(v.get<std::int64_t>());
      if (owner.count(l)) bad(spec, "buckets." + it.key(), "length " + std::to_string(l) + " is in two buckets");
      if (std::find(lengths.begin(), lengths.end(), l) == lengths.end())
        bad(spec, "buckets." + it.key(), "length " + std::to_string(l) + " is not in seq_lens");
      owner[l] = it.key();
    }
  }
  c.buckets.clear();
  for (long l : lengths) {
    const auto o = owner.find(l);
    if (o == owner.end()) bad(spec, "seq_lens", "length " + std::to_string(l) + " belongs to no bucket");
    auto b = std::find_if(c.buckets.begin(), c.buckets.end(), [&](const auto& x) { return x.name == o->second; });
    if (b == c.buckets.end()) {
      c.buckets.push_back({o->second, {}});
      b = std::prev(c.buckets.end());
    }
    b->sequence_lengths.push_back(l);
  }

  const Json& precisions = param(params, spec, "precisions");
  const Json& speedup = param(params, spec, "precision_speedup");
  const Json& penalty = param(params, spec, "precision_penalty");
  if (!precisions.is_array() || precisions.empty()) bad(spec, "precisions", "expected a non-empty list");
  c.precisions.clear();
  for (const auto& p : precisions) {
    if (!p.is_string()) bad(spec, "precisions", "expected names, found " + p.dump());
    const std::string name = p.get<std::string>();
    if (!speedup.is_object() || !speedup.contains(name) || !speedup[name].is_number() || !(speedup[name].get<double>() > 0))
      bad(spec, "precision_speedup", "needs a positive speed-up for '" + name + "'");
    if (!penalty.is_object() || !penalty.contains(name) || !penalty[name].is_number())
      bad(spec, "precision_penalty", "needs a penalty for '" + name + "'");
    c.precisions.push_back({name, speedup[name].get<double>(), penalty[name].get<double>()});
  }
  return c;
}

costmodel::HrefAblationConfig href_config_from_params(const Json& params, const spec::Spec& spec) {
  costmodel::HrefAblationConfig c;
  c.entropies = labelled_param(params, spec, "entropies", "nats", false);
  c.h_refs = labelled_param(params, spec, "h_refs", "value", true);
  c.latency_table = latency_table_param(params, spec);
  if (!c.latency_table.count(c.baseline_chunk)) bad(spec, "latency_table", "needs the static baseline chunk 64");
  return c;
}

costmodel::BinSensitivityConfig bin_config_from_params(const Json& params, const spec::Spec& spec) {
  costmodel::BinSensitivityConfig c;
  const Json& ks = param(params, spec, "ks");
  if (!ks.is_array() || ks.empty()) bad(spec, "ks", "expected a non-empty list of bin counts");
  c.ks.clear();
  for (const auto& k : ks) {
    if (!k.is_number_integer() || k.get<std::int64_t>() < 2) bad(spec, "ks", "bin counts must be integers ≥ 2");
    c.ks.push_back(static_cast<int>(k.get<std::int64_t>()));
  }
  const Json& distributions = param(params, spec, "distributions");
  if (!distributions.is_array() || distributions.empty()) bad(spec, "distributions", "expected a non-empty list");
  c.distributions.clear();
  for (const auto& d : distributions) {
    if (!d.is_string() || (d.get<std::string>() != "standard_normal" && d.get<std::string>() != "uniform_unit"))
      bad(spec, "distributions", "expected standard_normal or uniform_unit, found " + d.dump());
    c.distributions.push_back(d.get<std::string>());
  }
  c.samples = static_cast<std::size_t>(int_param(params, spec, "samples", 1));
  c.seed = static_cast<std::uint64_t>(int_param(params, spec, "dist_seed", 0));
  c.fixed_h_ref = number_param(params, spec, "fixed_h_ref");
  c.latency_table = latency_table_param(params, spec);
  return c;
}

costmodel::FusedKernelSweepConfig fused_config_from_params(const Json& params, const spec::Spec& spec) {
  costmodel::FusedKernelSweepConfig c;
  const Json& chains = param(params, spec, "chain_configs");
  if (!chains.is_array() || chains.empty()) bad(spec, "chain_configs", "expected a non-empty list of [ops, regime]");
  c.chains.clear();
  for (const auto& item : chains) {
    if (!item.is_array() || item.size() != 2 || !item[0].is_number_integer() || item[0].get<std::int64_t>() < 1 ||
        !item[1].is_string())
      bad(spec, "chain_configs", "every entry is [ops ≥ 1, regime], found " + item.dump());
    const std::string regime = item[1].get<std::string>();
    if (regime != "low" && regime != "mixed" && regime != "high")
      bad(spec, "chain_configs", "regime must be low, mixed or high, found '" + regime + "'");
    c.chains.emplace_back(static_cast<int>(item[0].get<std::int64_t>()), regime);
  }
  c.tau = number_param(params, spec, "sweep_tau");
  c.launch_ms = number_param(params, spec, "launch_ms");
  c.solver_repeats = static_cast<int>(int_param(params, spec, "solver_repeats", 1));
  return c;
}

namespace {

// A computed cell as the authors' CSV shows it, for comparison with golden files.
std::string python_text(const Json& value) {
  if (value.is_boolean()) return value.get<bool>() ? "True" : "False";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  if (value.is_number()) return python_float_repr(value.get<double>());
  return value.dump();
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        cells.back() += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      cells.emplace_back();
    } else {
      cells.back() += ch;
    }
  }
  return cells;
}

// Projection errors depend on the BLAS accumulation order (PAPER.md §3.3), so they match within 1e-9.
bool cells_match(const std::string& column, const std::string& expected, const std::string& got) {
  if (expected == got) return true;
  if (column != "max_projection_error") return false;
  try {
    return std::fabs(std::stod(expected) - std::stod(got)) <= 1e-9;
  } catch (const std::exception&) {
    return false;
  }
}

Json compare_with_golden(const std::vector<CsvTable>& tables, const std::string& dir) {
  Json mismatches = Json::array();
  Json checked = Json::array();
  std::size_t total = 0;
  constexpr std::size_t listed_max = 50;
  const auto add = [&](Json m) {
    ++total;
    if (mismatches.size() < listed_max) mismatches.push_back(std::move(m));
  };
  for (const auto& table : tables) {
    const std::filesystem::path path = std::filesystem::path(dir) / (table.name + ".csv");
    std::ifstream in(path);
    if (!in) continue;
    checked.push_back(table.name + ".csv");
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto header = split_csv_line(line);
    if (header != table.columns) {
      add({{"file", table.name + ".csv"}, {"row", 0}, {"column", "(header)"}, {"expected", line}, {"got", ""}});
      continue;
    }
    std::size_t row = 0;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      const auto cells = split_csv_line(line);
      if (row >= table.rows.size()) {
        add({{"file", table.name + ".csv"}, {"row", row + 1}, {"column", "(row)"}, {"expected", line}, {"got", "(missing)"}});
        ++row;
        continue;
      }
      for (std::size_t c = 0; c < header.size(); ++c) {
        const std::string expected = c < cells.size() ? cells[c] : "";
        const std::string got = python_text(table.rows[row][c]);
        if (!cells_match(header[c], expected, got))
          add({{"file", table.name + ".csv"}, {"row", row + 1}, {"column", header[c]}, {"expected", expected}, {"got", got}});
      }
      ++row;
    }
    for (; row < table.rows.size(); ++row)
      add({{"file", table.name + ".csv"}, {"row", row + 1}, {"column", "(row)"}, {"expected", "(missing)"}, {"got", "extra row"}});
  }
  return {{"dir", dir}, {"files_checked", checked}, {"mismatch_count", total}, {"mismatches", mismatches}};
}

Json rows_json(const std::vector<CsvTable>& tables) {
  Json rows = Json::object();
  for (const auto& table : tables) {
    Json list = Json::array();
    for (const auto& row : table.rows) {
      Json object = Json::object();
      for (std::size_t c = 0; c < table.columns.size(); ++c) object[table.columns[c]] = row[c];
      list.push_back(std::move(object));
    }
    rows[table.name] = std::move(list);
  }
  return rows;
}

std::string param_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) return python_float_repr(value.get<double>());
  return value.dump();
}

class CostmodelTier final : public Tier {
 public:
  CostmodelTier() : schema_(build_schema()) {}

  std::string_view name() const override { return "costmodel"; }
  const spec::ParamSchema& param_schema() const override { return schema_; }

  void validate(const spec::Spec& spec, const spec::Plan& plan) const override {
    for (const auto& point : plan.points) {
      const std::string study = string_param(point.params, spec, "study");
      if (std::find(study_names.begin(), study_names.end(), study) == study_names.end())
        bad(spec, "study", "unknown study '" + study + "'");
      if (study == "fusion") fusion_config_from_params(point.params, spec);
      if (study == "href-ablation") href_config_from_params(point.params, spec);
      if (study == "bin-sensitivity") bin_config_from_params(point.params, spec);
      if (study == "fused-kernel-sweep") fused_config_from_params(point.params, spec);
    }
  }

  results::Record run(const spec::Point& point, RunContext& ctx) override {
    const spec::Spec& spec = ctx.spec;
    results::Record record;
    record.point_id = point.id;
    record.index = point.index;
    record.params = point.params;
    const std::string study = string_param(point.params, spec, "study");
    const auto start = std::chrono::steady_clock::now();
    std::vector<CsvTable> tables;
    if (study == "fusion") {
      const auto config = fusion_config_from_params(point.params, spec);
      tables = costmodel::run_fusion_study(config);
      record.faithful_to_paper = config.bonuses;
      record.inherits_flaws = {"F12"};
    } else if (study == "href-ablation") {
      tables.push_back(costmodel::run_href_ablation(href_config_from_params(point.params, spec)));
      record.faithful_to_paper = true;
    } else if (study == "bin-sensitivity") {
      tables.push_back(costmodel::run_bin_sensitivity(bin_config_from_params(point.params, spec)));
      record.faithful_to_paper = true;
    } else {
      tables.push_back(costmodel::run_fused_kernel_sweep(fused_config_from_params(point.params, spec)));
      record.faithful_to_paper = true;
      record.inherits_flaws = {"F17"};
    }
    const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    record.fields["surrogate"] = true;
    record.fields["wall_s"] = wall_s;
    Json metrics = Json::object();
    metrics["rows"] = rows_json(tables);
    const std::string golden = resolve_spec_path(string_param(point.params, spec, "golden"), &spec);
    if (!golden.empty()) {
      if (!std::filesystem::is_directory(golden)) {
        record.status = results::Status::failed;
        record.reason = "golden directory '" + golden + "' does not exist";
      } else {
        metrics["golden"] = compare_with_golden(tables, golden);
        const auto& g = metrics["golden"];
        if (g["files_checked"].empty()) {
          record.status = results::Status::verify_failed;
          record.reason = "golden directory '" + golden + "' has none of this study's CSV files";
        } else if (g["mismatch_count"].get<std::size_t>() > 0) {
          std::ostringstream reason;
          reason << g["mismatch_count"].get<std::size_t>() << " cells differ from " << golden << ":";
          std::size_t shown = 0;
          for (const auto& m : g["mismatches"]) {
            if (shown++ == 5) {
              reason << " ...";
              break;
            }
            reason << " " << m["file"].get<std::string>() << " row " << m["row"].dump() << " "
                   << m["column"].get<std::string>() << ": expected " << m["expected"].get<std::string>() << ", got "
                   << m["got"].get<std::string>() << ";";
          }
          record.status = results::Status::verify_failed;
          record.reason = reason.str();
        }
      }
    }
    record.fields["metrics"] = std::move(metrics);
    return record;
  }

  std::vector<results::Table> summarize(const spec::Spec& spec,
                                        const std::vector<results::Record>& records) const override {
    (void)spec;
    // Params whose values differ between the records name each point's tables (the golden directory
    // follows the configuration, so it does not name anything).
    std::vector<std::string> varying;
    if (records.size() > 1) {
      for (auto it = records.front().params.begin(); it != records.front().params.end(); ++it) {
        if (it.key() == "golden") continue;
        const bool differs = std::any_of(records.begin(), records.end(), [&](const results::Record& r) {
          return !r.params.contains(it.key()) || r.params[it.key()] != it.value();
        });
        if (differs) varying.push_back(it.key());
      }
    }
    std::vector<results::Table> tables;
    for (const auto& record : records) {
      const auto metrics = record.fields.find("metrics");
      if (metrics == record.fields.end() || !metrics->contains("rows")) continue;
      std::string suffix;
      for (const auto& key : varying)
        suffix += "." + key + "_" + (record.params.contains(key) ? param_text(record.params[key]) : "");
      for (auto it = (*metrics)["rows"].begin(); it != (*metrics)["rows"].end(); ++it) {
        if (it.value().empty()) continue;
        results::Table table;
        table.name = it.key() + suffix;
        table.title = it.key() + " (Tier-1 surrogate cost model)" + suffix;
        for (auto col = it.value().front().begin(); col != it.value().front().end(); ++col)
          table.columns.push_back({col.key(), ""});
        for (const auto& row : it.value()) {
          results::TableRow out;
          for (auto cell = row.begin(); cell != row.end(); ++cell) out.cells.push_back(cell.value());
          out.provenance = {record.point_id};
          table.rows.push_back(std::move(out));
        }
        table.notes.push_back("surrogate: computed by the authors' analytic model, not measured (PAPER.md §3, F12)");
        tables.push_back(std::move(table));
      }
    }
    return tables;
  }

 private:
  spec::ParamSchema schema_;
};

}  // namespace

std::unique_ptr<Tier> make_costmodel_tier() { return std::make_unique<CostmodelTier>(); }

}  // namespace corey::experiments
