#include "entropy/stats_op.hpp"

#include <string>

#include "core/error.hpp"

namespace corey::entropy {

ActivationView contiguous_view(const void* data, DType dtype, std::int64_t batch, std::int64_t dim,
                               std::int64_t seqlen) {
  return {data, dtype, batch, dim, seqlen, dim * seqlen, seqlen, 1};
}

namespace {
constexpr Estimator kEstimators[] = {Estimator::hist,          Estimator::ebits,       Estimator::proto,
                                     Estimator::token_hist,    Estimator::cheap_proxy, Estimator::variance_proxy,
                                     Estimator::kurtosis_proxy};
}

std::string_view to_string(Estimator estimator) {
  switch (estimator) {
    case Estimator::hist:
      return "hist";
    case Estimator::ebits:
      return "ebits";
    case Estimator::proto:
      return "proto";
    case Estimator::token_hist:
      return "token_hist";
    case Estimator::cheap_proxy:
      return "cheap_proxy";
    case Estimator::variance_proxy:
      return "variance_proxy";
    case Estimator::kurtosis_proxy:
      return "kurtosis_proxy";
  }
  return "?";
}

Estimator estimator_from_string(std::string_view name) {
  for (Estimator e : kEstimators) {
    if (to_string(e) == name) return e;
  }
  throw_usage_error("unknown estimator '" + std::string(name) +
                    "' (expected hist, ebits, proto, token_hist, cheap_proxy, variance_proxy or kurtosis_proxy)");
}

std::string_view range_of(Estimator estimator) {
  switch (estimator) {
    case Estimator::hist:
    case Estimator::ebits:
    case Estimator::token_hist:
      return "minmax";
    case Estimator::proto:
      return "minmax+5%";
    case Estimator::cheap_proxy:
    case Estimator::variance_proxy:
    case Estimator::kurtosis_proxy:
      return "moments";
  }
  return "?";
}

std::string_view to_string(Units units) {
  switch (units) {
    case Units::nats:
      return "nats";
    case Units::bits:
      return "bits";
    case Units::normalized:
      return "normalized";
  }
  return "?";
}

Units units_from_string(std::string_view name) {
  if (name == "nats") return Units::nats;
  if (name == "bits") return Units::bits;
  if (name == "normalized") return Units::normalized;
  throw_usage_error("unknown units '" + std::string(name) + "' (expected nats, bits or normalized)");
}

Json EntropyValue::to_json() const {
  Json j = Json::object();
  j["value"] = value;
  j["units"] = std::string(to_string(statistic.units));
  j["estimator"] = std::string(to_string(statistic.estimator));
  j["bins"] = statistic.bins;
  j["range"] = std::string(range_of(statistic.estimator));
  j["stride"] = statistic.stride;
  j["tensor"] = tensor;
  return j;
}

}  // namespace corey::entropy
