#include "costmodel/chunk_latency.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace corey::costmodel {

LatencyTable paper_rtx3070_latency_table() {
  return {{32, 6.3151}, {64, 3.2992}, {128, 1.8670}, {256, 1.1477}, {512, 0.7481}};
}

ChunkChoice entropy_to_chunk(double entropy_nats, double h_ref, int c_min, int c_max) {
  ChunkChoice choice;
  choice.r = std::min(entropy_nats / h_ref, 1.0);
  const double raw = c_min + choice.r * (c_max - c_min);
  const double exponent = std::nearbyint(std::log2(std::max(raw, 1.0)));
  const double power = std::ldexp(1.0, static_cast<int>(exponent));
  choice.chunk = static_cast<int>(std::clamp(power, static_cast<double>(c_min), static_cast<double>(c_max)));
  return choice;
}

double latency_for_chunk(const LatencyTable& table, int chunk) {
  if (table.empty()) throw std::invalid_argument("empty latency table");
  if (const auto it = table.find(chunk); it != table.end()) return it->second;
  auto best = table.begin();
  for (auto it = table.begin(); it != table.end(); ++it)
    if (std::abs(it->first - chunk) < std::abs(best->first - chunk)) best = it;
  return best->second;
}

}  // namespace corey::costmodel
