#include "experiments/checked_generator.hpp"

namespace corey::experiments {

GenerateSample CheckedGenerator::run(std::span<const std::int32_t> ids, sched::ChunkScheduler& scheduler,
                                     Condition condition, const std::string& what, HookTrace& trace) {
  model::PrefillOptions options;
  options.chunk_mode = config_.chunk_mode;
  options.hook_reads_activation = scheduler.statistic().has_value();
  options.hook = make_scheduler_hook(scheduler, condition, config_.min_seq_len, stats_, trace, config_.device_stats);
  GenerateSample sample = timed_generate(runner_, ids, config_.new_tokens, options, false);
  check_.check(what, trace.intended, sample.scans);
  return sample;
}

Json CheckedGenerator::chunk_report() const {
  return check_.to_json(runner_.backend(), scan::to_string(config_.chunk_mode));
}

}  // namespace corey::experiments
