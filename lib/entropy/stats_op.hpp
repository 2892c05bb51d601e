#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "core/half.hpp"
#include "core/json.hpp"
#include "entropy/chunk_rule.hpp"

namespace corey::entropy {

// A (batch, channel, time) activation tensor in the backend's memory, element strides.
struct ActivationView {
  const void* data = nullptr;
  DType dtype = DType::f32;
  std::int64_t batch = 1;
  std::int64_t dim = 0;
  std::int64_t seqlen = 0;
  std::int64_t stride_b = 0;
  std::int64_t stride_d = 0;
  std::int64_t stride_l = 1;
};

// A contiguous (B, D, L) view.
ActivationView contiguous_view(const void* data, DType dtype, std::int64_t batch, std::int64_t dim,
                               std::int64_t seqlen);

// PAPER.md §2.2 / §2.4. Every estimator reads u[..., ::stride] (stride 1 = the whole tensor).
enum class Estimator {
  hist,            // E-kernel / E-routed: K bins over [min, max], eps 1e-8 / 1e-10, natively nats
  ebits,           // E-bits: the LongBench hook's variant, eps 1e-8 everywhere, natively bits
  proto,           // E-proto: numpy histogram over [min − m, max + m], eps 1e-12, natively nats
  token_hist,      // per-token histogram over channels, mean over tokens (E-routed per token)
  cheap_proxy,     // ratio·ln K, ratio = mean|x| / (rms + 1e-8)
  variance_proxy,  // ratio·ln K, ratio = σ / (mean|x| + σ + 1e-8)
  kurtosis_proxy,  // ratio·ln K, ratio = 1 − exp(−excess kurtosis / 8)
};

std::string_view to_string(Estimator estimator);
Estimator estimator_from_string(std::string_view name);  // throws corey::Error (usage)
// "minmax" (hist, ebits, token_hist), "minmax+5%" (proto), "moments" (proxies).
std::string_view range_of(Estimator estimator);

// nats and bits are the same quantity in two log bases; normalized = clip(H_nats / ln K, 0, 1).
enum class Units { nats, bits, normalized };

std::string_view to_string(Units units);
Units units_from_string(std::string_view name);  // throws corey::Error (usage)

struct Statistic {
  Estimator estimator = Estimator::hist;
  int bins = 256;
  Units units = Units::nats;
  std::int64_t stride = 1;
};

// One estimate with everything needed to interpret it (PAPER.md §2.2 "corey rule").
struct EntropyValue {
  double value = 0.0;
  Statistic statistic;
  std::string tensor;  // what it was taken from: "post_conv_u", "embeddings", a file's tensor name, ...

  Json to_json() const;  // {value, units, estimator, bins, range, stride, tensor}
};

struct ChunkChoice {
  EntropyValue entropy;
  std::int64_t chunk = 0;
};

// Computes statistics of activation tensors and applies the chunk rule (ARCHITECTURE.md §3). The CUDA
// implementation does it on the device; `choose_chunk_into` then writes H and Q to device memory without a
// host sync, for a scan that reads Q through ChunkConfig::chunk_ptr.
class StatsOp {
 public:
  virtual ~StatsOp() = default;
  virtual std::string_view backend() const = 0;
  virtual EntropyValue estimate(const ActivationView& x, const Statistic& statistic) = 0;
  // The rule's h_ref must be in the statistic's units.
  virtual ChunkChoice choose_chunk(const ActivationView& x, const Statistic& statistic, const ChunkRule& rule) = 0;
  virtual void choose_chunk_into(const ActivationView& x, const Statistic& statistic, const ChunkRule& rule,
                                 float* entropy_out, std::int32_t* chunk_out) = 0;
};

}  // namespace corey::entropy
