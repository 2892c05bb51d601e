#include "experiments/mixed_regime_sweep.hpp"

#include <chrono>
#include <memory>

#include "core/error.hpp"
#include "entropy/cpu_stats.hpp"
#include "experiments/routed_generate.hpp"
#include "experiments/routed_hook.hpp"
#include "experiments/routed_order.hpp"
#include "stats/median_ci.hpp"
#include "stats/quantile.hpp"
#include "stats/summary.hpp"

namespace corey::experiments {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

class SweepRun {
 public:
  SweepRun(model::ModelRunner& runner, const std::vector<RegimeCell>& prompts, const SweepConfig& config)
      : runner_(runner), prompts_(prompts), config_(config) {
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
    const Clock::time_point started = Clock::now();
    const stats::MeasureConfig& m = config_.measure;
    std::size_t round = 0;
    for (std::size_t w = 0; w < m.warmup_runs; ++w, ++round) run_round(round, false);
    for (auto& s : schedulers_) s->reset();
    std::size_t measured = 0;
    double measured_s = 0;
    bool converged = false;
    std::string why;
    while (true) {
      if (cancel != nullptr && cancel->load()) {
        why = "cancelled";
        break;
      }
      measured_s += run_round(round++, true);
      ++measured;
      const bool test = measured >= m.samples_min && measured_s >= m.min_time_s;
      if (test && criterion_met(why)) {
        converged = true;
        break;
      }
      if (measured >= m.samples_max) {
        why = "max_samples";
        break;
      }
      if (seconds_since(started) >= m.timeout_s) {
        why = "timeout";
        break;
      }
    }
    out_.rounds = measured;
    out_.measure = Json{{"mode", "e2e"},
                        {"timer", "steady_clock"},
                        {"order", "interleaved_rotated"},
                        {"cells", prompts_.size() * out_.arms.size()},
                        {"warmup_rounds", m.warmup_runs},
                        {"rounds", measured},
                        {"wall_s", seconds_since(started)},
                        {"stop", {{"criterion", std::string(stats::to_string(m.criterion))}, {"converged", converged}, {"why", why}}}};
    out_.chunk_report = check_.to_json(runner_.backend(), scan::to_string(config_.chunk_mode));
    out_.not_honoured = check_.first_failure();
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
      model::PrefillOptions options;
      options.chunk_mode = config_.chunk_mode;
      options.hook = make_scheduler_hook(scheduler, Condition::routed, config_.min_seq_len, stats_, trace,
                                         config_.device_stats);
      const GenerateSample sample = timed_generate(runner_, prompts_[p].ids, config_.new_tokens, options, false);
      check_.check(phase + " " + prompts_[p].id + "/" + out_.arms[a], trace.intended, sample.scans);
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

  model::ModelRunner& runner_;
  const std::vector<RegimeCell>& prompts_;
  const SweepConfig& config_;
  std::vector<std::unique_ptr<sched::ChunkScheduler>> schedulers_;  // one per (prompt, arm): the random row's draws stay per cell
  entropy::CpuStats stats_;
  ChunkCheck check_;
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
