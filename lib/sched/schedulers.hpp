#pragma once
#include <memory>
#include <vector>

#include "entropy/chunk_rule.hpp"
#include "sched/chunk_scheduler.hpp"
#include "sched/python_random.hpp"

namespace corey::sched {

// static(N): always N; needs no statistic.
class StaticScheduler final : public ChunkScheduler {
 public:
  explicit StaticScheduler(std::int64_t chunk);
  std::string name() const override;
  std::optional<entropy::Statistic> statistic() const override { return std::nullopt; }
  Decision decide(const Features& features) override;
  Json describe() const override;

 private:
  std::int64_t chunk_;
};

// rule(H_ref, C_min, C_max, rounding, K) on a statistic (hist, sampled_hist, token_hist, the proxies):
// the chunk rule of PAPER.md §2.3 with the statistic as H (0 when it is absent).
class RuleScheduler final : public ChunkScheduler {
 public:
  RuleScheduler(std::string name, entropy::Statistic statistic, entropy::ChunkRule rule);
  std::string name() const override { return name_; }
  std::optional<entropy::Statistic> statistic() const override { return statistic_; }
  Decision decide(const Features& features) override;
  Json describe() const override;

 private:
  std::string name_;
  entropy::Statistic statistic_;
  entropy::ChunkRule rule_;
};

// no_entropy: the rule at H = 0.5·ln K (r = 0.5 with H_ref = ln K); needs no statistic.
class NoEntropyScheduler final : public ChunkScheduler {
 public:
  NoEntropyScheduler(entropy::ChunkRule rule, int bins);
  std::string name() const override { return "no_entropy_mid"; }
  std::optional<entropy::Statistic> statistic() const override { return std::nullopt; }
  Decision decide(const Features& features) override;
  Json describe() const override;

 private:
  entropy::ChunkRule rule_;
  int bins_;
};

// random(seed): Python's Random(seed).choice over the powers of two in [C_min, C_max].
class RandomScheduler final : public ChunkScheduler {
 public:
  RandomScheduler(std::int64_t seed, std::int64_t c_min, std::int64_t c_max);
  std::string name() const override;
  std::optional<entropy::Statistic> statistic() const override { return std::nullopt; }
  Decision decide(const Features& features) override;
  void reset() override { rng_ = PythonRandom(seed_); }
  Json describe() const override;
  const std::vector<std::int64_t>& candidates() const { return candidates_; }

 private:
  std::int64_t seed_;
  std::vector<std::int64_t> candidates_;
  PythonRandom rng_;
};

// guarded(base, fallback F, min_delta_buckets m): the base decision, replaced by F when
// |round(log2 chunk) − round(log2 F)| < m.
class GuardedScheduler final : public ChunkScheduler {
 public:
  GuardedScheduler(std::unique_ptr<ChunkScheduler> base, std::int64_t fallback, int min_delta_buckets);
  std::string name() const override { return "guarded_" + base_->name(); }
  std::optional<entropy::Statistic> statistic() const override { return base_->statistic(); }
  Decision decide(const Features& features) override;
  void reset() override { base_->reset(); }
  Json describe() const override;

 private:
  std::unique_ptr<ChunkScheduler> base_;
  std::int64_t fallback_;
  int min_delta_buckets_;
};

// learned_table: the paper's JSON rule table over (layer_idx, seq_len, entropy); the chunk is not clamped.
// As in the authors' code it still asks for the strided histogram entropy. seqlen_table: a table whose
// rules constrain only seq_len, which then needs no statistic at all.
class TableScheduler final : public ChunkScheduler {
 public:
  enum class Kind { learned, seqlen };
  TableScheduler(Kind kind, LearnedTable table, entropy::Statistic statistic);
  std::string name() const override { return kind_ == Kind::learned ? "learned_table" : "seqlen_table"; }
  std::optional<entropy::Statistic> statistic() const override;
  Decision decide(const Features& features) override;
  Json describe() const override;

 private:
  Kind kind_;
  LearnedTable table_;
  entropy::Statistic statistic_;
};

}  // namespace corey::sched
