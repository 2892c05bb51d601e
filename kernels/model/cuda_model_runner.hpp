#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cuda_backend.hpp"
#include "decode_kernels.hpp"
#include "device_weights.hpp"
#include "gemm.hpp"
#include "model/model_runner.hpp"
#include "model/weights.hpp"
#include "scan_runner.hpp"

namespace corey::cuda {

// The CUDA backend's ModelRunner (ARCHITECTURE.md §3, KERNELS.md §3): batch 1, weights on the device in the
// model dtype, everything on the backend stream of the device.
//
// Prefill per layer: RMSNorm → in_proj (cuBLAS) → conv + SiLU → [chunk choice] → x_proj, dt_proj (cuBLAS) →
// `seq` scan → out_proj (cuBLAS, residual add). Unless a host hook needs the activation (or the chunk mode
// launches per chunk), the whole prefill is one CUDA Graph per shape and rule, captured on first use. The chunk
// comes from PrefillOptions: a fixed Q; a host hook
// (when it reads the activation, the stream is synchronised and the hook gets the device u in fp32: that is
// the per-layer host sync of the paper; a hook that decides from layer and length alone is called without
// one); or a BackendChunkRule, where the device statistics kernel writes Q (after the rule's guard) and
// the scan reads it through ChunkConfig::chunk_ptr, with no host round trip (the statistics run on a second
// stream, overlapped with the x_proj and dt_proj GEMMs). Each scan's kernel-side report
// (chunks, Q used, tokens), the chosen Q and the entropy go to per-layer device slots that are read back once,
// after the last layer.
//
// Decode: the whole token (embedding, 3 fused kernels per layer, norm + head; decode_kernels.hpp) is captured once in a CUDA Graph
// and replayed; the token id is read from device memory and the logits land in a device buffer.
class CudaModelRunner final : public model::ModelRunner {
 public:
  CudaModelRunner(int device, const model::MambaWeights& weights, DType dtype);
  ~CudaModelRunner() override;
  CudaModelRunner(const CudaModelRunner&) = delete;
  CudaModelRunner& operator=(const CudaModelRunner&) = delete;

  std::string_view backend() const override { return "cuda"; }
  const model::MambaConfig& config() const override { return weights_.config; }
  model::PrefillResult prefill(std::span<const std::int32_t> ids, const model::PrefillOptions& options) override;
  std::vector<float> decode_step(std::int32_t id) override;
  void reset() override;

  DType dtype() const { return weights_.dtype; }
  std::int64_t weight_bytes() const { return weights_.bytes; }
  // Whether the conv does pass 1 of a rule's statistic (StatsTap; the default: a histogram then reads u once on
  // its own stream, a proxy is folded inside the scan's launch) or the statistic reads u on its own stream (one
  // or two launches, nothing added to the conv); benchmarks compare the two.
  void set_statistics_tap(bool enabled) { statistics_tap_ = enabled; }
  // The two halves of decode_step, for benchmarks: enqueue the token (id upload + graph replay, no host
  // sync) and read the logits of the last enqueued token (waits).
  void enqueue_decode(std::int32_t id);
  std::vector<float> read_decode_logits();

 private:
  struct LayerSlots;  // per-layer device report slots (scan counters, chosen Q, entropy)
  // One prefill: its shape, options, the per-layer Q decided on the host (0 where the device decides) and the
  // scan blocks per layer (for the chunk-count check).
  struct PrefillPlan {
    std::int64_t L = 0, rows = 0;
    const model::PrefillOptions* options = nullptr;
    bool q_from_device = false;  // host-decided Qs reach the scans through q_dev_
    std::vector<std::int64_t> q_host, blocks;
  };
  struct PrefillGraph {
    cudaGraphExec_t exec = nullptr;
    std::vector<std::int64_t> blocks;
  };
  // True when a buffer was reallocated (captured prefill graphs then point at freed memory).
  bool ensure_prefill_buffers(std::int64_t L, std::int64_t logit_rows, bool u_f32);
  void enqueue_prefill(PrefillPlan& plan);
  cudaGraphExec_t prefill_graph(PrefillPlan& plan);  // cached per shape, chunk mode and rule
  void drop_prefill_graphs();
  model::PrefillResult read_prefill(const PrefillPlan& plan);
  std::int64_t call_hook(const model::PrefillOptions& options, std::int64_t layer, std::int64_t L,
                         const float* u) const;
  void capture_decode_graph();
  void check_ids(std::span<const std::int32_t> ids) const;

  int device_ = 0;
  cudaStream_t stream_ = nullptr;
  DeviceModelWeights weights_;
  IoType io_ = IoType::f32;
  std::size_t elem_ = 4;
  std::unique_ptr<Gemm> gemm_;
  std::unique_ptr<ScanRunner> scan_;
  std::unique_ptr<DeviceStatsOp> stats_;  // on stats_stream_
  cudaStream_t stats_stream_ = nullptr;   // a backend rule's statistics, overlapped with the projections
  cudaEvent_t u_ready_ = nullptr;         // stream_ → stats_stream_: u of the layer is written
  cudaEvent_t q_ready_ = nullptr;         // stats_stream_ → stream_: the layer's Q is written
  bool statistics_tap_ = true;

  DeviceBuffer conv_state_;  // (layers, D, K − 1) in the model dtype
  DeviceBuffer ssm_state_;   // (layers, D, 16) fp32
  DeviceBuffer slots_;       // (layers) LayerSlots

  // Prefill workspace, grown on demand.
  std::int64_t cap_tokens_ = 0, cap_logit_rows_ = 0;
  bool cap_u_f32_ = false;
  DeviceBuffer ids_, hidden_, normed_, xz_, u_, u_f32_, x_dbl_, dt_, y_, logits_;
  DeviceBuffer moment_tap_;           // a proxy rule's moment partials, one per conv warp (StatsTap)
  DeviceBuffer q_dev_;                // (layers) int32: host-decided Qs of a graphed prefill
  std::int32_t* host_q_ = nullptr;    // pinned (layers)
  std::map<std::string, PrefillGraph> prefill_graphs_;

  // Decode.
  DecodeShape shape_;
  DeviceBuffer dec_id_, dec_hidden_, dec_u_, dec_z_, dec_partials_, dec_y_, dec_logits_;
  std::int32_t* host_id_ = nullptr;  // pinned ring of token ids
  std::uint32_t next_id_slot_ = 0;
  float* host_logits_ = nullptr;     // pinned (V)
  cudaGraphExec_t decode_graph_ = nullptr;
};

// The factory installed as DeviceHooks::make_model_runner.
std::unique_ptr<model::ModelRunner> make_model_runner(int device, const model::MambaWeights& weights, DType dtype);

}  // namespace corey::cuda
