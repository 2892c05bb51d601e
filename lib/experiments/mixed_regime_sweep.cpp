#include "experiments/mixed_regime_sweep.hpp"

#include <chrono>
#include <memory>

#include "core/error.hpp"
#include "experiments/checked_generator.hpp"
#include "experiments/interleaved_rounds.hpp"
#include "experiments/routed_order.hpp"
#include "stats/median_ci.hpp"
#include "stats/quantile.hpp"
#include "stats/summary.hpp"

namespace corey::experiments {
namespace {

class SweepRun {
 public:
  SweepRun(model::ModelRunner& runner, const std::vector<RegimeCell>& prompts, const SweepConfig& config)
      : prompts_(prompts), config_(config), generator_(runner, config) {
    if (prompts.empty()) throw_usage_error("mixed-regime: no prompt to measure");
    for (const RegimeCell& p : prompts) {
      if (p.ids.empty()) throw_usage_error("mixed-regime: prompt " + p.id + " has no tokens");
    }
    for (const std::int64_t c : config.chunks) out_.arms.push_back(static_arm(c));
    for (const std::string& row : config.policies) out_.arms.push_back(row);
    if (out_.arms.empty()) throw_usage_error("mixed-regime: no chunk and no policy to measure");
    for (std::size_t p = 0; p < prompts.size(); ++p) {
      for (const std::string& arm : out_.arms) schedulers_.push_back(sched::make_scheduler(arm, config.scheduler));
    }
    out_.samples.assign(prompts.size(), std::vector<std::vector<double>>(out_.arms.size()));
    out_.decisions.assign(prompts.size(), std::vector<std::map<std::int64_t, std::int64_t>>(out_.arms.size()));
  }

  SweepOutcome run(const std::atomic<bool>* cancel) {
    const auto started = std::chrono::steady_clock::now();
    RoundsPlan plan;
    plan.run_round = [this](std::size_t round, bool measured) { return run_round(round, measured); };
    plan.criterion_met = [this](std::string& why) { return criterion_met(why); };
    plan.after_warmup = [this] {
      for (auto& s : schedulers_) s->reset();
    };
    const RoundsOutcome rounds = run_interleaved_rounds(plan, config_.measure, started, cancel);
    out_.rounds = rounds.rounds;
    out_.measure = interleaved_rounds_json(rounds, config_.measure, prompts_.size() * out_.arms.size());
    out_.chunk_report = generator_.chunk_report();
    out_.not_honoured = generator_.not_honoured();
    return std::move(out_);
  }

 private:
  double run_round(std::size_t round, bool measured) {
    const std::size_t arms = out_.arms.size();
    const std::string phase = measured ? "round " + std::to_string(round) : "warm-up round " + std::to_string(round);
    double total = 0;
    for (const std::size_t cell : rotated_round_order(prompts_.size() * arms, round)) {
      const std::size_t p = cell / arms, a = cell % arms;
      sched::ChunkScheduler& scheduler = *schedulers_[cell];
      HookTrace trace;
      const GenerateSample sample =
          generator_.run(prompts_[p].ids, scheduler, Condition::routed, phase + " " + prompts_[p].id + "/" + out_.arms[a], trace);
      total += sample.total_s;
      if (measured) {
        out_.samples[p][a].push_back(sample.total_s);
        for (const std::int64_t q : trace.chosen) ++out_.decisions[p][a][q];
      }
    }
    return total;
  }

  bool criterion_met(std::string& why) const {
    const stats::MeasureConfig& m = config_.measure;
    if (m.criterion == stats::StopCriterion::sample_count) {
      why = "sample_count";
      return true;
    }
    for (const auto& per_prompt : out_.samples) {
      for (const std::vector<double>& s : per_prompt) {
        if (m.criterion == stats::StopCriterion::rel_stdev) {
          const stats::Summary sum = stats::summarize(s);
          if (!(sum.stdev / sum.mean <= m.max_noise)) return false;
        } else {
          const std::vector<double> sorted = stats::sorted_copy(s);
          const stats::MedianCi ci = stats::median_ci_sorted(sorted, m.confidence);
          if (!ci.exists() || !(ci.rel_halfwidth(stats::median_sorted(sorted)) <= m.rel_halfwidth)) return false;
        }
      }
    }
    why = m.criterion == stats::StopCriterion::rel_stdev ? "rel_stdev<=" + std::to_string(m.max_noise)
                                                          : "rel_halfwidth<=" + std::to_string(m.rel_halfwidth) + " (every cell)";
    return true;
  }

  const std::vector<RegimeCell>& prompts_;
  const SweepConfig& config_;
  std::vector<std::unique_ptr<sched::ChunkScheduler>> schedulers_;  // one per (prompt, arm): the random row's draws stay per cell
  CheckedGenerator generator_;
  SweepOutcome out_;
};

}  // namespace

std::string static_arm(std::int64_t chunk) { return "static_chunk_" + std::to_string(chunk); }

SweepOutcome run_regime_sweep(model::ModelRunner& runner, const std::vector<RegimeCell>& prompts, const SweepConfig& config,
                              const std::atomic<bool>* cancel) {
  SweepRun run(runner, prompts, config);
  return run.run(cancel);
}

}  // namespace corey::experiments
