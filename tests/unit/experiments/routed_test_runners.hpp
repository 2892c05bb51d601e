#pragma once
// Model-runner wrappers used only by the routed-ablation tests.
#include <cstdint>
#include <vector>

#include "model/model_runner.hpp"

namespace corey::test {

// A model runner whose scan ignores the requested chunk (the paper's silent fallback, F8): the scheduler
// still decides, but the scan always runs the whole prompt as one chunk.
class ChunkIgnoringRunner final : public model::ModelRunner {
 public:
  explicit ChunkIgnoringRunner(model::ModelRunner& inner) : inner_(inner) {}
  std::string_view backend() const override { return inner_.backend(); }
  const model::MambaConfig& config() const override { return inner_.config(); }
  model::PrefillResult prefill(std::span<const std::int32_t> ids, const model::PrefillOptions& options) override {
    model::PrefillOptions ignoring = options;
    if (options.hook) {
      ignoring.hook = [hook = options.hook](const model::LayerActivation& a) {
        hook(a);
        return a.seqlen;
      };
    }
    return inner_.prefill(ids, ignoring);
  }
  std::vector<float> decode_step(std::int32_t id) override { return inner_.decode_step(id); }
  void reset() override { inner_.reset(); }

 private:
  model::ModelRunner& inner_;
};

// Records the chunk each prefill's first layer was asked for, to see the order in which cells ran.
class OrderRecordingRunner final : public model::ModelRunner {
 public:
  explicit OrderRecordingRunner(model::ModelRunner& inner) : inner_(inner) {}
  std::string_view backend() const override { return inner_.backend(); }
  const model::MambaConfig& config() const override { return inner_.config(); }
  model::PrefillResult prefill(std::span<const std::int32_t> ids, const model::PrefillOptions& options) override {
    model::PrefillResult r = inner_.prefill(ids, options);
    first_layer_chunks.push_back(r.scans.front().chunk_requested);
    return r;
  }
  std::vector<float> decode_step(std::int32_t id) override { return inner_.decode_step(id); }
  void reset() override { inner_.reset(); }

  std::vector<std::int64_t> first_layer_chunks;

 private:
  model::ModelRunner& inner_;
};

}  // namespace corey::test
