#include "experiments/routed_hook.hpp"

#include <chrono>

#include "core/error.hpp"

namespace corey::experiments {

std::string_view to_string(Condition condition) {
  switch (condition) {
    case Condition::passive: return "passive";
    case Condition::active_only: return "active_only";
    case Condition::routed: return "routed";
  }
  return "?";
}

Condition condition_from_string(std::string_view name) {
  if (name == "passive") return Condition::passive;
  if (name == "active_only") return Condition::active_only;
  if (name == "routed") return Condition::routed;
  throw_usage_error("unknown condition '" + std::string(name) + "' (expected passive, active_only or routed)");
}

model::ChunkHook make_scheduler_hook(sched::ChunkScheduler& scheduler, Condition condition, std::int64_t min_seq_len,
                                     entropy::CpuStats& stats, HookTrace& trace, entropy::StatsOp* device_stats) {
  return [&scheduler, condition, min_seq_len, &stats, &trace, device_stats](const model::LayerActivation& a) -> std::int64_t {
    const std::int64_t whole = a.seqlen;
    if (condition == Condition::passive || a.seqlen < min_seq_len) {
      trace.intended.push_back(whole);
      return whole;
    }
    sched::Features features;
    features.layer_idx = a.layer;
    features.seq_len = a.seqlen;
    if (const auto statistic = scheduler.statistic()) {
      const auto t0 = std::chrono::steady_clock::now();
      const entropy::ActivationView view = entropy::contiguous_view(a.u, DType::f32, a.batch, a.d_inner, a.seqlen);
      if (a.on_device) {
        if (!device_stats)
          throw_usage_error("scheduler row " + scheduler.name() + ": layer " + std::to_string(a.layer) +
                            "'s activation is in device memory and no device statistics op was given (the device_* rows "
                            "evaluate their statistic on the backend)");
        features.entropy = device_stats->estimate(view, *statistic).value;
      } else {
        features.entropy = stats.estimate(view, *statistic, "post_conv_u").value;
      }
      trace.stats_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      trace.entropies.push_back(*features.entropy);
    }
    const sched::Decision d = scheduler.decide(features);
    trace.chosen.push_back(d.chunk);
    const std::int64_t q = condition == Condition::routed ? d.chunk : whole;
    trace.intended.push_back(q);
    return q;
  };
}

void ChunkCheck::check(const std::string& what, const std::vector<std::int64_t>& intended,
                       const std::vector<model::LayerScanRecord>& scans) {
  if (scans.size() != intended.size() && !first_failure_) {
    first_failure_ = what + ": the model ran " + std::to_string(scans.size()) + " layer scans, the harness asked for " +
                     std::to_string(intended.size());
  }
  for (std::size_t i = 0; i < scans.size(); ++i) {
    const model::LayerScanRecord& s = scans[i];
    ++scan_calls_;
    bitwise_chunk_invariant_ = bitwise_chunk_invariant_ && s.report.bitwise_chunk_invariant;
    recurrence_preserving_ = recurrence_preserving_ && s.report.recurrence_preserving;
    const std::int64_t want = i < intended.size() ? intended[i] : -1;
    if (s.chunk_requested == want && s.report.honoured && s.report.q_effective == want) {
      ++honoured_calls_;
    } else if (!first_failure_) {
      first_failure_ = what + ", layer " + std::to_string(s.layer) + ": the harness asked for Q = " +
                       std::to_string(want) + ", the scan was asked for " + std::to_string(s.chunk_requested) +
                       " and ran Q = " + std::to_string(s.report.q_effective) + " in " +
                       std::to_string(s.report.chunks_executed) + " of " + std::to_string(s.report.chunks_expected) +
                       " expected chunks";
    }
  }
}

void ChunkCheck::fail(const std::string& what) {
  if (!first_failure_) first_failure_ = what;
}

Json ChunkCheck::to_json(std::string_view impl, std::string_view mode) const {
  return Json{{"impl", std::string(impl)},
              {"mode", std::string(mode)},
              {"scan_calls", scan_calls_},
              {"honoured_calls", honoured_calls_},
              {"honoured", honoured()},
              {"recurrence_preserving", recurrence_preserving_},
              {"bitwise_chunk_invariant", bitwise_chunk_invariant_},
              {"checked", "every prefill scan call (equivalence passes and warm-ups included)"}};
}

}  // namespace corey::experiments
