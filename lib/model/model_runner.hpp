#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include <optional>

#include "entropy/chunk_rule.hpp"
#include "entropy/stats_op.hpp"
#include "model/config.hpp"
#include "scan/scan_op.hpp"

namespace corey::model {

// What the per-layer chunk hook sees during prefill: the layer's post-conv activation u (KERNELS.md §3.1,
// between steps 2 and 3 of §1.1).
struct LayerActivation {
  std::int64_t layer = 0;
  std::int64_t batch = 1;
  std::int64_t seqlen = 0;
  std::int64_t d_inner = 0;
  const float* u = nullptr;  // (batch, D, L), L contiguous, fp32, in the backend's memory
  bool on_device = false;    // true when `u` is device memory (CUDA backend)
};

// Chooses the chunk Q the layer's scan runs with (the chunk scheduler's entry point into the model).
using ChunkHook = std::function<std::int64_t(const LayerActivation&)>;

// A chunk scheduler the backend evaluates itself, beside the scan (the routed tier's `device_*` rows): the
// statistic of each layer's post-conv activation, the entropy -> chunk rule (PAPER.md §2.3) and an optional
// guard (sched::GuardedScheduler semantics), all in the backend's memory. On CUDA a layer's prefill is then
// statistics -> rule -> scan, stream-ordered, with no host round trip; the chosen chunks and entropies are
// read back once, after the last layer.
struct BackendChunkRule {
  entropy::Statistic statistic;
  entropy::ChunkRule rule;
  std::int64_t guard_fallback = 0;  // 0: no guard; else F replaces Q when |round(log2 Q) - round(log2 F)| < m
  int guard_min_delta_buckets = 0;  // m
};

// The rule's guard applied to a chosen chunk: the fallback when q lies fewer than m log2 buckets from it.
std::int64_t apply_guard(const BackendChunkRule& rule, std::int64_t q);

struct PrefillOptions {
  scan::ChunkMode chunk_mode = scan::ChunkMode::inkernel;
  std::int64_t chunk = 0;  // Q for every layer when no hook is set; 0 = the whole prompt in one chunk
  ChunkHook hook;          // when set, called once per layer; its Q overrides `chunk`
  // False when the hook decides from the layer and length alone: a device backend then calls it without
  // waiting for the layer's activation (no host sync).
  bool hook_reads_activation = true;
  std::optional<BackendChunkRule> backend_rule;  // when set, chooses every layer's Q; overrides hook and chunk
  bool all_logits = true;  // logits for every prompt position, else only for the last one
};

// One layer's scan during prefill: what was asked and what the scan reports it did (KERNELS.md §7.6).
struct LayerScanRecord {
  std::int64_t layer = 0;
  std::int64_t chunk_requested = 0;
  std::optional<double> entropy;  // the statistic a backend rule used, in its units
  scan::ChunkReport report;
};

struct PrefillResult {
  std::vector<float> logits;  // (positions, V) row-major
  std::int64_t positions = 0; // prompt length, or 1 when only the last position was asked for
  std::vector<LayerScanRecord> scans;

  // Every layer's scan ran with the requested chunk, the expected chunk count and every token.
  bool all_honoured() const;
};

// A Mamba LM for one sequence (batch 1) with its decode state (conv windows and fp32 SSM states) kept by
// the backend (ARCHITECTURE.md §3).
class ModelRunner {
 public:
  virtual ~ModelRunner() = default;
  virtual std::string_view backend() const = 0;
  virtual const MambaConfig& config() const = 0;
  // Runs the prompt from a zero state and leaves the states after its last token. Throws corey::Error
  // (usage) for an empty prompt, an id outside the vocabulary or a hook that returns Q < 1.
  virtual PrefillResult prefill(std::span<const std::int32_t> ids, const PrefillOptions& options) = 0;
  // Feeds one more token (after prefill or earlier steps) and returns its logits (V).
  virtual std::vector<float> decode_step(std::int32_t id) = 0;
  // Back to the empty sequence (zero states).
  virtual void reset() = 0;
};

}  // namespace corey::model
