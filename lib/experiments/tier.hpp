#pragma once
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "results/record.hpp"
#include "results/table.hpp"
#include "spec/param_schema.hpp"
#include "spec/spec.hpp"

namespace corey::experiments {

enum class Backend { cpu, cuda };

// A file's bytes that one point hands to the runner.
struct EmittedArtifact {
  std::string name;
  std::string bytes;
};

// What a tier may use while it runs one point. Tiers never write files and never print progress: a file a
// point produces is emitted, and the runner writes it atomically under <out>/artifacts/<point id>/<name>
// before it streams the record, which lists it (so resume and merge see a point's files with its record).
struct RunContext {
  const spec::Spec& spec;
  Backend backend = Backend::cpu;
  int device = -1;                          // CUDA device index when backend == cuda
  const std::atomic<bool>* cancel = nullptr;  // set on SIGINT/SIGTERM: abandon the point if convenient
  std::vector<EmittedArtifact> artifacts;   // of the point in progress; the runner empties it per point
  bool cancelled() const { return cancel != nullptr && cancel->load(); }
  // Throws corey::Error (usage) on a name that is not a plain file name or was already emitted by the point.
  void emit_artifact(std::string name, std::string bytes) {
    results::check_artifact_name(name);
    for (const EmittedArtifact& a : artifacts)
      if (a.name == name) throw_usage_error("artifact '" + name + "' was emitted twice by one point");
    artifacts.push_back({std::move(name), std::move(bytes)});
  }
};

// One evaluation tier (ARCHITECTURE.md §2).
class Tier {
 public:
  virtual ~Tier() = default;
  virtual std::string_view name() const = 0;
  // The tier's `params` keys, types and defaults (the paper's values).
  virtual const spec::ParamSchema& param_schema() const = 0;
  // Checks every point's parameters; throws corey::Error (spec) naming spec.where_param(...) on a bad value.
  virtual void validate(const spec::Spec& spec, const spec::Plan& plan) const = 0;
  virtual results::Record run(const spec::Point& point, RunContext& ctx) = 0;
  // A rough relative cost of a point for `--shard-strategy cost` (longest-processing-time balancing);
  // only ratios between points matter.
  virtual double predicted_cost(const spec::Point& point) const {
    (void)point;
    return 1.0;
  }
  // Whether points may be measured by concurrent workers on different devices (`--devices` with more than
  // one): false for studies whose rows must share one process and device (HARNESS.md §8.2).
  virtual bool points_independent() const { return true; }
  // Aggregates the records of one run into tables (pure: records in, tables out).
  virtual std::vector<results::Table> summarize(const spec::Spec& spec,
                                                const std::vector<results::Record>& records) const = 0;
};

// The tier for an experiment name, or nullptr for a name that is not one of the four tiers.
std::unique_ptr<Tier> make_tier(std::string_view experiment);

}  // namespace corey::experiments
