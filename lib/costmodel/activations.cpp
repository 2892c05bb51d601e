#include "costmodel/activations.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace corey::costmodel {

std::size_t sample_count(long sequence_length) {
  return static_cast<std::size_t>(std::min(4096L, std::max(512L, sequence_length / 8)));
}

void draw_activations(core::NumpyGenerator& rng, long sequence_length, Matrix& x, Matrix& w) {
  const double length_scale = 1.0 + std::log2(static_cast<double>(sequence_length)) / 20.0;
  rng.fill_standard_normal(x.values);
  std::vector<double> t(x.values.size());
  rng.fill_standard_t(3.0, t);
  for (std::size_t i = 0; i < t.size(); ++i) x.values[i] = x.values[i] + length_scale * (0.35 * t[i]);
  rng.fill_standard_normal(w.values);
}

}  // namespace corey::costmodel
