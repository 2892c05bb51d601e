#pragma once
#include "core/numpy_random.hpp"
#include "costmodel/hadamard.hpp"

namespace corey::costmodel {

// Rows of synthetic activations the authors draw for sequence length L: min(4096, max(512, L div 8)).
std::size_t sample_count(long sequence_length);

// One (L, repeat) draw of PAPER.md §3.2, in the authors' order: G = normal(N×H), T = standard_t(3, N×H),
// X = G + s_L·(0.35·T) with s_L = 1 + log2(L)/20, then W = normal(P×H). `x` and `w` must be sized already.
void draw_activations(core::NumpyGenerator& rng, long sequence_length, Matrix& x, Matrix& w);

}  // namespace corey::costmodel
