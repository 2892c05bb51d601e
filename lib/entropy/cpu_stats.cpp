#include "entropy/cpu_stats.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "entropy/histogram_entropy.hpp"
#include "entropy/proxies.hpp"

namespace corey::entropy {
namespace {

[[noreturn]] void non_finite(const std::string& tensor, std::int64_t b, std::int64_t d, std::int64_t t) {
  throw_usage_error((tensor.empty() ? std::string("tensor") : tensor) + ": non-finite value (NaN or Inf) at index [" +
                    std::to_string(b) + ", " + std::to_string(d) + ", " + std::to_string(t) + "]");
}

void check_view(const ActivationView& x, std::int64_t stride, int bins) {
  if (x.data == nullptr && x.batch * x.dim * x.seqlen > 0) throw_usage_error("statistic: tensor data is null");
  if (stride < 1) throw_usage_error("statistic: stride must be >= 1 (got " + std::to_string(stride) + ")");
  if (bins < 1) throw_usage_error("statistic: bins must be >= 1 (got " + std::to_string(bins) + ")");
}

}  // namespace

std::vector<float> gather_strided(const ActivationView& x, std::int64_t stride, const std::string& tensor) {
  check_view(x, stride, 1);
  std::vector<float> values;
  values.reserve(static_cast<std::size_t>(x.batch * x.dim * ((x.seqlen + stride - 1) / stride)));
  for (std::int64_t b = 0; b < x.batch; ++b) {
    for (std::int64_t d = 0; d < x.dim; ++d) {
      for (std::int64_t t = 0; t < x.seqlen; t += stride) {
        const float v = load_as_f32(x.data, x.dtype, b * x.stride_b + d * x.stride_d + t * x.stride_l);
        if (!std::isfinite(v)) non_finite(tensor, b, d, t);
        values.push_back(v);
      }
    }
  }
  return values;
}

double token_hist_entropy_nats(const ActivationView& x, int bins, std::int64_t stride, const std::string& tensor) {
  check_view(x, stride, bins);
  std::vector<float> token(static_cast<std::size_t>(x.dim));
  double sum = 0.0;
  std::int64_t valid = 0;
  for (std::int64_t b = 0; b < x.batch; ++b) {
    for (std::int64_t t = 0; t < x.seqlen; t += stride) {
      for (std::int64_t d = 0; d < x.dim; ++d) {
        const float v = load_as_f32(x.data, x.dtype, b * x.stride_b + d * x.stride_d + t * x.stride_l);
        if (!std::isfinite(v)) non_finite(tensor, b, d, t);
        token[static_cast<std::size_t>(d)] = v;
      }
      const auto [lo, hi] = std::minmax_element(token.begin(), token.end());
      if (token.empty() || static_cast<double>(*hi) - static_cast<double>(*lo) < 1e-8) continue;
      sum += hist_entropy_nats(token, bins);
      ++valid;
    }
  }
  return valid == 0 ? 0.0 : sum / static_cast<double>(valid);
}

double convert_units(double native, Estimator estimator, Units units, int bins) {
  const double nats = estimator == Estimator::ebits ? native * std::numbers::ln2 : native;
  switch (units) {
    case Units::nats:
      return nats;
    case Units::bits:
      return estimator == Estimator::ebits ? native : nats / std::numbers::ln2;
    case Units::normalized:
      return std::clamp(nats / std::log(std::max(bins, 2)), 0.0, 1.0);
  }
  return nats;
}

EntropyValue CpuStats::estimate(const ActivationView& x, const Statistic& statistic) {
  return estimate(x, statistic, "");
}

EntropyValue CpuStats::estimate(const ActivationView& x, const Statistic& s, const std::string& tensor) {
  check_view(x, s.stride, s.bins);
  double native = 0.0;
  if (s.estimator == Estimator::token_hist) {
    native = token_hist_entropy_nats(x, s.bins, s.stride, tensor);
  } else {
    const std::vector<float> values = gather_strided(x, s.stride, tensor);
    switch (s.estimator) {
      case Estimator::hist:
        native = hist_entropy_nats(values, s.bins);
        break;
      case Estimator::ebits:
        native = ebits_entropy_bits(values, s.bins);
        break;
      case Estimator::proto: {
        const std::vector<double> wide(values.begin(), values.end());
        native = proto_entropy_nats(wide, s.bins);
        break;
      }
      case Estimator::cheap_proxy:
        native = cheap_proxy_nats(values, s.bins);
        break;
      case Estimator::variance_proxy:
        native = variance_proxy_nats(values, s.bins);
        break;
      case Estimator::kurtosis_proxy:
        native = kurtosis_proxy_nats(values, s.bins);
        break;
      case Estimator::token_hist:
        break;
    }
  }
  EntropyValue value;
  value.value = convert_units(native, s.estimator, s.units, s.bins);
  value.statistic = s;
  value.tensor = tensor;
  return value;
}

ChunkChoice CpuStats::choose_chunk(const ActivationView& x, const Statistic& statistic, const ChunkRule& rule) {
  ChunkChoice choice;
  choice.entropy = estimate(x, statistic);
  choice.chunk = entropy::choose_chunk(choice.entropy.value, rule);
  return choice;
}

void CpuStats::choose_chunk_into(const ActivationView& x, const Statistic& statistic, const ChunkRule& rule,
                                 float* entropy_out, std::int32_t* chunk_out) {
  const ChunkChoice choice = choose_chunk(x, statistic, rule);
  if (entropy_out) *entropy_out = static_cast<float>(choice.entropy.value);
  if (chunk_out) *chunk_out = static_cast<std::int32_t>(choice.chunk);
}

}  // namespace corey::entropy
