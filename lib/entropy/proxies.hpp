#pragma once
#include <span>

namespace corey::entropy {

// The moment proxies of PAPER.md §2.4, each scaled into [0, ln K] nats so that the chunk rule with
// H_ref = ln K applies unchanged. Computed in fp64 over a finite sample; 0 for an empty sample.
double cheap_proxy_nats(std::span<const float> x, int bins);     // ratio = mean|x| / (√(mean x² + 1e-8) + 1e-8)
double variance_proxy_nats(std::span<const float> x, int bins);  // ratio = σ / (mean|x| + σ + 1e-8)
double kurtosis_proxy_nats(std::span<const float> x, int bins);  // ratio = 1 − exp(−max(m4/v² − 3, 0)/8)

}  // namespace corey::entropy
