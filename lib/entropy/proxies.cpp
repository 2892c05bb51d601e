#include "entropy/proxies.hpp"

#include <algorithm>
#include <cmath>

namespace corey::entropy {
namespace {

struct Moments {
  double mean = 0.0;
  double mean_abs = 0.0;
  double mean_sq = 0.0;
  double central2 = 0.0;
  double central4 = 0.0;
};

Moments moments(std::span<const float> x) {
  Moments m;
  const auto n = static_cast<double>(x.size());
  double sum = 0.0, sum_abs = 0.0, sum_sq = 0.0;
  for (float v : x) {
    sum += v;
    sum_abs += std::abs(static_cast<double>(v));
    sum_sq += static_cast<double>(v) * v;
  }
  m.mean = sum / n;
  m.mean_abs = sum_abs / n;
  m.mean_sq = sum_sq / n;
  double c2 = 0.0, c4 = 0.0;
  for (float v : x) {
    const double c = v - m.mean;
    c2 += c * c;
    c4 += (c * c) * (c * c);
  }
  m.central2 = c2 / n;
  m.central4 = c4 / n;
  return m;
}

double scaled(double ratio, int bins) { return std::clamp(ratio, 0.0, 1.0) * std::log(static_cast<double>(bins)); }

}  // namespace

double cheap_proxy_nats(std::span<const float> x, int bins) {
  if (x.empty()) return 0.0;
  const Moments m = moments(x);
  return scaled(m.mean_abs / (std::sqrt(m.mean_sq + 1e-8) + 1e-8), bins);
}

double variance_proxy_nats(std::span<const float> x, int bins) {
  if (x.empty()) return 0.0;
  const Moments m = moments(x);
  const double sigma = std::sqrt(m.central2 + 1e-8);
  return scaled(sigma / (m.mean_abs + sigma + 1e-8), bins);
}

double kurtosis_proxy_nats(std::span<const float> x, int bins) {
  if (x.empty()) return 0.0;
  const Moments m = moments(x);
  const double v = m.central2 + 1e-8;
  const double excess = std::max(m.central4 / (v * v) - 3.0, 0.0);
  return scaled(1.0 - std::exp(-excess / 8.0), bins);
}

}  // namespace corey::entropy
