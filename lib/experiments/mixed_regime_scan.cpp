#include "experiments/mixed_regime_scan.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "core/error.hpp"
#include "experiments/checked_generator.hpp"

namespace corey::experiments {
namespace {

// Passes every call to the wrapped row and keeps its decisions, statistic included.
class RecordingScheduler final : public sched::ChunkScheduler {
 public:
  explicit RecordingScheduler(std::unique_ptr<sched::ChunkScheduler> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  std::optional<entropy::Statistic> statistic() const override { return inner_->statistic(); }
  sched::Decision decide(const sched::Features& features) override {
    sched::Decision d = inner_->decide(features);
    decisions.push_back(d);
    return d;
  }
  void reset() override { inner_->reset(); }
  Json describe() const override { return inner_->describe(); }

  std::vector<sched::Decision> decisions;

 private:
  std::unique_ptr<sched::ChunkScheduler> inner_;
};

}  // namespace

FeatureScanOutcome run_feature_scan(model::ModelRunner& runner, const std::vector<RegimeCell>& prompts,
                                    const std::vector<std::string>& modes, const SweepConfig& config,
                                    const std::atomic<bool>* cancel) {
  const auto started = std::chrono::steady_clock::now();
  FeatureScanOutcome out;
  CheckedGenerator generator(runner, config);
  for (const std::string& mode : modes) {
    RecordingScheduler scheduler(sched::make_scheduler(mode, config.scheduler));
    for (std::size_t p = 0; p < prompts.size(); ++p) {
      if (cancel != nullptr && cancel->load()) {
        out.cancelled = true;
        break;
      }
      scheduler.decisions.clear();
      HookTrace trace;
      generator.run(prompts[p].ids, scheduler, Condition::active_only, mode + " " + prompts[p].id, trace);
      ScanDecisions d;
      d.mode = mode;
      d.prompt = p;
      for (const sched::Decision& x : scheduler.decisions) {
        d.chunks.push_back(x.chunk);
        d.entropies.push_back(x.entropy);
      }
      out.decisions.push_back(std::move(d));
    }
  }
  out.chunk_report = generator.chunk_report();
  out.not_honoured = generator.not_honoured();
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

std::vector<DiversityRow> summarize_diversity(const std::vector<ScanDecisions>& decisions,
                                              const std::vector<std::string>& regimes_of_prompts,
                                              const std::vector<std::int64_t>& tokens, const std::vector<std::string>& modes) {
  std::vector<std::string> regimes;
  for (const std::string& r : regimes_of_prompts) {
    if (std::find(regimes.begin(), regimes.end(), r) == regimes.end()) regimes.push_back(r);
  }
  std::vector<DiversityRow> rows;
  for (const std::string& mode : modes) {
    for (const std::string& regime : regimes) {
      DiversityRow row;
      row.mode = mode;
      row.regime = regime;
      std::vector<double> entropies;
      double token_sum = 0;
      for (const ScanDecisions& d : decisions) {
        if (d.mode != mode || regimes_of_prompts.at(d.prompt) != regime) continue;
        ++row.prompts;
        token_sum += static_cast<double>(tokens.at(d.prompt));
        for (const std::int64_t q : d.chunks) ++row.chunk_counts[q];
        for (const auto& h : d.entropies) {
          if (h) entropies.push_back(*h);
        }
      }
      if (row.prompts == 0) continue;
      row.prompt_tokens_mean = token_sum / static_cast<double>(row.prompts);
      if (!entropies.empty()) {
        double mean = 0;
        for (const double h : entropies) mean += h;
        mean /= static_cast<double>(entropies.size());
        double var = 0;
        for (const double h : entropies) var += (h - mean) * (h - mean);
        row.entropy_mean = mean;
        row.entropy_std = entropies.size() > 1 ? std::sqrt(var / static_cast<double>(entropies.size())) : 0.0;
      }
      std::int64_t total = 0, best = 0;
      for (const auto& [q, n] : row.chunk_counts) {
        total += n;
        if (n > best) {
          best = n;
          row.dominant_chunk = q;
        }
      }
      row.dominant_share = total > 0 ? static_cast<double>(best) / static_cast<double>(total) : 0.0;
      row.diverse = row.chunk_counts.size() > 1 && row.dominant_share < 0.95;
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

bool feature_scan_go(const std::vector<DiversityRow>& rows, std::size_t min_diverse) {
  return static_cast<std::size_t>(std::count_if(rows.begin(), rows.end(), [](const DiversityRow& r) { return r.diverse; })) >=
         min_diverse;
}

}  // namespace corey::experiments
